import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packThisPackage } from '../support/packed-package';

const ROOT = path.resolve(__dirname, '..', '..');
/** Not linked into the consumer app: its synth must need neither (prebuilt bundles, compiled JavaScript). */
const NOT_LINKED = new Set(['harbormaster', 'esbuild', 'tsx', '@esbuild', 'typescript', 'ts-jest']);

let app: string;
let out: string;

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
const template = (stack: string): Template =>
  JSON.parse(readFileSync(path.join(out, `${stack}.template.json`), 'utf8')) as Template;
const ofType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);

beforeAll(async () => {
  // Prepare: `npm pack` (runs prepare and prepack: CLI, library, bundles), unpacked as the app's dependency;
  // the peer and runtime dependencies are linked from this repository's node_modules (fast and offline).
  const work = mkdtempSync(path.join(tmpdir(), 'hm-consumer-'));
  const tarball = await packThisPackage(work);
  app = path.join(work, 'app');
  const modules = path.join(app, 'node_modules');
  mkdirSync(path.join(modules, 'harbormaster'), { recursive: true });
  execFileSync('tar', ['xzf', tarball, '-C', path.join(modules, 'harbormaster'), '--strip-components=1']);
  for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (NOT_LINKED.has(entry) || entry.startsWith('.')) continue;
    symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
  }
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'platform-app', private: true }));
  writeFileSync(
    path.join(app, 'harbormaster.config.yaml'),
    readFileSync(path.join(ROOT, 'harbormaster.config.yaml')),
  );
  out = path.join(app, 'cdk.out');
  writeFileSync(
    path.join(app, 'app.js'),
    [
      "const { App, Stack } = require('aws-cdk-lib');",
      "const { Bucket } = require('aws-cdk-lib/aws-s3');",
      "const { Harbormaster } = require('harbormaster');",
      `const app = new App({ outdir: ${JSON.stringify(out)} });`,
      // cdk-nag would fail this bucket (no access logs, no TLS-only policy): it is the user's, not Harbormaster's.
      "const own = new Stack(app, 'PlatformOwn', { env: { region: 'eu-west-1' } });",
      "new Bucket(own, 'Artifacts');",
      "new Harbormaster(app, 'Harbormaster', { config: 'harbormaster.config.yaml' });",
      'app.synth();',
    ].join('\n'),
  );
  // Act: the consumer's synth.
  execFileSync(process.execPath, ['app.js'], { cwd: app, stdio: 'pipe' });
}, 300_000);

describe('the packed construct library in a fresh CDK app', () => {
  it('ships compiled JavaScript with type declarations, prebuilt bundles and no TypeScript sources', () => {
    const pkg = path.join(app, 'node_modules', 'harbormaster');
    expect(existsSync(path.join(pkg, 'dist', 'lib', 'index.js'))).toBe(true);
    expect(readFileSync(path.join(pkg, 'dist', 'lib', 'index.d.ts'), 'utf8')).toContain('Harbormaster');
    expect(readdirSync(path.join(pkg, 'dist', 'bundles')).sort()).toEqual(
      readdirSync(path.join(ROOT, 'functions')).sort(),
    );
    expect(existsSync(path.join(pkg, 'functions'))).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(manifest.dependencies['aws-cdk-lib']).toBeUndefined();
  });

  it('creates the same stacks as this repository’s app, plus the user’s own', () => {
    const stacks = readdirSync(out)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => f.replace('.template.json', ''))
      .sort();
    expect(stacks).toEqual(
      expect.arrayContaining(['HarbormasterAutomation', 'HarbormasterRegistry', 'PlatformOwn']),
    );
  });

  it('creates the configured repositories', () => {
    const names = ofType(template('HarbormasterRegistry'), 'AWS::ECR::Repository').map(
      (r) => r.Properties.RepositoryName,
    );
    const config = readFileSync(path.join(ROOT, 'harbormaster.config.yaml'), 'utf8');
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(config).toContain(String(name));
  });

  it('creates the functions from the prebuilt bundles, each with the runtime config beside it', () => {
    const functions = ofType(template('HarbormasterAutomation'), 'AWS::Lambda::Function').filter(
      (f) => f.Properties.Runtime === 'nodejs24.x',
    );
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const fn of functions) {
      expect(fn.Properties.Handler).toBe('index.handler');
      const key = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
      const asset = path.join(out, `asset.${key}`);
      expect(readdirSync(asset).sort()).toEqual(['harbormaster-config.json', 'index.js']);
      const runtime = JSON.parse(readFileSync(path.join(asset, 'harbormaster-config.json'), 'utf8'));
      expect(runtime.env.region).toBe('eu-west-1');
    }
  });

  it('leaves the user’s own bucket unjudged by cdk-nag (synth passed) and unchanged', () => {
    expect(ofType(template('PlatformOwn'), 'AWS::S3::Bucket')).toHaveLength(1);
  });
});

afterAll(() => {
  if (app) rmSync(path.dirname(app), { recursive: true, force: true });
});
