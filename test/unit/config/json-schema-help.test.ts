import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIELD_DESCRIPTIONS } from '../../../shared/config/field-docs';
import { configJsonSchema } from '../../../shared/config/write-json-schema';

const ROOT = path.join(__dirname, '..', '..', '..');
type Json = { [key: string]: unknown };

/** Every field of the schema with its description (undefined when it has none), by field path. */
function fields(schema: Json): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== 'object') return;
    const s = node as Json;
    for (const [key, child] of Object.entries((s.properties as Record<string, Json>) ?? {})) {
      const p = at ? `${at}.${key}` : key;
      if (!out.get(p)) out.set(p, child.description);
      walk(child, p);
    }
    if (s.items) walk(s.items, `${at}[]`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      walk(s.additionalProperties, `${at}.*`);
    for (const key of ['anyOf', 'oneOf', 'allOf']) for (const o of (s[key] as unknown[]) ?? []) walk(o, at);
  };
  walk(schema, '');
  return out;
}

describe('harbormaster.schema.json hover help', () => {
  const schema = configJsonSchema() as Json;
  const all = fields(schema);

  it('has a description on every field (add one to shared/config/field-docs.ts for a new field)', () => {
    const missing = [...all].filter(([, description]) => typeof description !== 'string').map(([p]) => p);
    expect(missing).toEqual([]);
    expect(all.size).toBeGreaterThan(100);
  });

  it('describes no field that does not exist (a renamed field keeps no stale help)', () => {
    expect(Object.keys(FIELD_DESCRIPTIONS).filter((p) => !all.has(p))).toEqual([]);
  });

  it('shows what a field means, with its default where it has one', () => {
    const scan = ((schema.properties as Json).repositories as Json).items as Json;
    const maxSeverity = ((scan.properties as Json).scan as Json).properties as Json;
    expect(maxSeverity.maxSeverity).toMatchObject({
      default: 'MEDIUM',
      description: expect.stringMatching(/^Highest severity a passing image may carry/),
    });
    expect(schema.title).toBe('Harbormaster config');
  });
});

describe('the schema resolves from any folder', () => {
  /** YAML files under the repository that carry a yaml-language-server modeline. */
  function configsWithModeline(dir: string, out: string[] = []): string[] {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'cdk.out', 'dist', '.git'].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) configsWithModeline(full, out);
      else if (/\.ya?ml$/.test(entry.name) && readFileSync(full, 'utf8').includes('yaml-language-server:')) {
        out.push(full);
      }
    }
    return out;
  }

  it('every config modeline points, relative to its own folder, at harbormaster.schema.json', () => {
    // Prepare
    const files = configsWithModeline(ROOT);

    // Assess: the YAML language server resolves a relative $schema against the file's folder.
    expect(files.map((f) => path.relative(ROOT, f))).toEqual(
      expect.arrayContaining(['harbormaster.config.yaml', path.join('examples', 'multi-team.config.yaml')]),
    );
    for (const file of files) {
      const line = readFileSync(file, 'utf8').split('\n')[0];
      const target = /^# yaml-language-server: \$schema=(\S+)$/.exec(line)?.[1];
      expect({ file: path.relative(ROOT, file), target }).toEqual({
        file: path.relative(ROOT, file),
        target: expect.any(String),
      });
      expect(path.resolve(path.dirname(file), target!)).toBe(path.join(ROOT, 'harbormaster.schema.json'));
    }
  });

  it('maps configs in any folder of the workspace to the schema for editors without a modeline', () => {
    const settings = JSON.parse(readFileSync(path.join(ROOT, '.vscode', 'settings.json'), 'utf8'));
    const globs = settings['yaml.schemas']['./harbormaster.schema.json'];
    expect(globs).toEqual(expect.arrayContaining(['**/harbormaster.config.yaml', '**/*.harbormaster.yaml']));
    expect(existsSync(path.join(ROOT, 'harbormaster.schema.json'))).toBe(true);
  });
});
