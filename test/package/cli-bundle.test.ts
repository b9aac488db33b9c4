import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OciLayout } from '../support/oci-layout';
import { haveTools, inspectRaw, seed, startRegistry, type RunningRegistry } from '../support/registries';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
// Built by the package's own build into a directory of this test's: the construct-library test's `npm pack`
// rebuilds dist/cli while this file runs (that race once made a copy here exit 1 with MODULE_NOT_FOUND).
const BUILT = mkdtempSync(path.join(tmpdir(), 'hm-cli-bundle-'));
const CLI = path.join(BUILT, 'harbormaster.mjs');
const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** Runs the built bin as a user would; resolves with the exit code instead of throwing. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  // The same build `npm ci` (prepare) and `npm run build` run.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'cli', '--outdir', BUILT], {
    cwd: ROOT,
  });
});

afterAll(() => rmSync(BUILT, { recursive: true, force: true }));

describe('the bundled CLI (dist/cli/harbormaster.mjs, the package bin)', () => {
  it('is the bin in package.json', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.bin).toEqual({ harbormaster: 'dist/cli/harbormaster.mjs' });
  });

  it('--version prints the package version', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('--help loads no command: the entry and its static imports stay small (no SDK, no config schema)', () => {
    // Prepare
    const entry = readFileSync(CLI, 'utf8');
    const staticChunks = [...entry.matchAll(/import[^"']*from\s*["'](\.\/chunks\/[^"']+)["']/g)].map(
      (m) => m[1],
    );

    // Act
    const bytes = [CLI, ...staticChunks.map((c) => path.join(path.dirname(CLI), c))].reduce(
      (sum, file) => sum + statSync(file).size,
      0,
    );

    // Assess: commander is ~40 KB; one SDK client alone is several hundred.
    expect(bytes).toBeLessThan(80_000);
    expect(entry).toContain('import("./chunks/gate-');
  });

  it("simulate runs the functions' code with its recording clients (told apart by class, not minified names)", async () => {
    // Act
    const events = path.join(ROOT, 'test', 'fixtures', 'events');
    const result = await cli([
      'simulate',
      path.join(events, 'ecr-image-scan-basic.json'),
      '--config',
      path.join(events, 'simulate-config.yaml'),
      '--now',
      '2026-11-23T12:00:00Z',
      '--repeat',
      '--json',
    ]);

    // Assess
    expect(result.code).toBe(0);
    const [first, again] = JSON.parse(result.stdout).deliveries;
    expect(first.runs[0].effects.map((e: { type: string }) => e.type)).toEqual([
      'tag',
      'untag',
      'alert',
      'audit',
    ]);
    expect(first.runs[0].effects[0]).toMatchObject({ tags: ['quarantined-4c1d8e2f9a7b'], keeper: true });
    expect(again.runs[0]).toMatchObject({ outcome: 'duplicate', effects: [] });
  });

  it('an unknown command exits 2', async () => {
    const result = await cli(['nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'nope'");
  });
});

const tools = haveTools();
const describeRegistries = tools ? describe : describe.skip;

describeRegistries('bundled `harbormaster copy` with credentials from Docker config.json', () => {
  const AUTH = { username: 'docker-user', password: 'docker-Secret-9' };
  let source: RunningRegistry;
  let destination: RunningRegistry;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'hm-cli-copy-'));
    const layout = new OciLayout(path.join(work, 'layout'));
    await layout.addImage('v1', { layerSizes: [256 * 1024] });
    source = await startRegistry();
    destination = await startRegistry({ tls: true, auth: AUTH });
    await seed(layout.dir, 'v1', source, 'team/app');
  });

  afterAll(async () => {
    await source?.stop();
    await destination?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const copyArgs = () => [
    'copy',
    `${source.host}/team/app:v1`,
    `${destination.host}/mirror/app:v1`,
    '--src-plain-http',
    '--insecure',
    '--json',
  ];

  it('uses the auths entry `docker login` wrote for the destination host, and never prints it', async () => {
    // Prepare
    const dockerConfig = mkdtempSync(path.join(work, 'docker-'));
    writeFileSync(
      path.join(dockerConfig, 'config.json'),
      JSON.stringify({
        auths: {
          [destination.host]: { auth: Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64') },
        },
      }),
    );

    // Act
    const result = await cli(copyArgs(), { DOCKER_CONFIG: dockerConfig });

    // Assess
    expect(result.code).toBe(0);
    const { digest } = JSON.parse(result.stdout) as { digest: string };
    expect(JSON.parse(await inspectRaw(destination, `mirror/app@${digest}`)).schemaVersion).toBe(2);
    expect(result.stdout + result.stderr).not.toContain(AUTH.password);
  });

  it('without it the destination refuses the anonymous push (exit 2)', async () => {
    // Prepare
    const empty = mkdtempSync(path.join(work, 'docker-empty-'));

    // Act
    const result = await cli(
      [...copyArgs().slice(0, 2), `${destination.host}/other/app:v1`, ...copyArgs().slice(3)],
      {
        DOCKER_CONFIG: empty,
      },
    );

    // Assess
    // Compared together, so a failure shows what the CLI printed.
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(/^harbormaster: copy .* failed/),
    });
  });
});
