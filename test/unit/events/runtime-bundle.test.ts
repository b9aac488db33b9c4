import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The event parser ships in every event function: it must not bring zod (about 100 KB minified plus its
 * schema building at cold start; DESIGN.md's bundle and init budgets) nor the config schemas, which are
 * zod. This bundles each function as HarbormasterFunction does and reads which files went in.
 */
const ROOT = join(__dirname, '..', '..', '..');
const FUNCTIONS = readdirSync(join(ROOT, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

async function bundledInputs(name: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join('functions', name, 'index.ts')],
    bundle: true,
    minify: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    define: { __HARBORMASTER_CONFIG__: '"{}"' },
    write: false,
    metafile: true,
    outfile: 'out.js',
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

describe('function bundles', () => {
  it('finds the event functions', () => {
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['image-events', 'scan-events']));
  });

  it.each(FUNCTIONS)('%s bundles no zod and no config schema', async (name) => {
    // Act
    const inputs = await bundledInputs(name);

    // Assess
    expect(inputs.some((file) => file.startsWith('shared/'))).toBe(true);
    expect(inputs.filter((file) => /node_modules\/zod\//.test(file))).toEqual([]);
    expect(inputs).not.toContain('shared/config/schema.ts');
    expect(inputs).not.toContain('shared/config/primitives.ts');
    expect(inputs).not.toContain('shared/events/severity-fields.ts');
  });

  it.each([
    ['image-events', 'shared/events/image-events.ts', 'shared/events/scan-events.ts'],
    // The scan function reads index pushes (image-action.ts), never replication results (image-events.ts).
    ['scan-events', 'shared/events/scan-events.ts', 'shared/events/image-events.ts'],
  ])('%s bundles the readers of its own events only', async (name, own, other) => {
    const inputs = await bundledInputs(name);

    expect(inputs).toEqual(expect.arrayContaining([own, 'shared/events/read.ts']));
    expect(inputs).not.toContain(other);
  });
});
