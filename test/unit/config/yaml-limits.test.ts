import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../shared/config/errors';
import { parseConfigText } from '../../../shared/config/load';
import { MAX_ALIAS_COUNT, MAX_NESTING_DEPTH } from '../../../shared/config/yaml-source';

const ROOT = path.join(__dirname, '..', '..', '..');

/** A "billion laughs": each level repeats the previous one nine times (9^5 = 59,049 strings from 60 bytes of aliases). */
const ALIAS_BOMB = [
  'a: &a [x, x, x, x, x, x, x, x, x]',
  'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
  'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
  'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
  'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
  '',
].join('\n');
const DEEP_FLOW = `env: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
const DEEP_BLOCK = `${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`;

function messageOf(text: string): string {
  try {
    parseConfigText(text, 'hm.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('YAML resource limits, in process', () => {
  it('refuses an alias bomb in one line at its first alias', () => {
    expect(messageOf(ALIAS_BOMB)).toBe(
      `invalid config hm.yaml:2:8: expected YAML aliases to expand at most ${MAX_ALIAS_COUNT} times, got more (an alias bomb?)`,
    );
  });

  it('refuses 5,000-deep flow nesting in one line, at the first collection past the limit', () => {
    expect(messageOf(DEEP_FLOW)).toBe(
      `invalid config hm.yaml:1:${5 + MAX_NESTING_DEPTH}: expected at most ${MAX_NESTING_DEPTH} levels of nesting, got more`,
    );
  });

  it('refuses 5,000-deep block nesting in one line', () => {
    expect(messageOf(DEEP_BLOCK)).toBe(
      `invalid config hm.yaml:${MAX_NESTING_DEPTH + 1}:${MAX_NESTING_DEPTH + 1}: expected at most ${MAX_NESTING_DEPTH} levels of nesting, got more`,
    );
  });

  it('accepts a few ordinary aliases and nesting up to the limit', () => {
    // Prepare: a shared access block reused by two repositories, and a value nested just within the limit.
    const text = [
      'env: {region: eu-west-1}',
      'teams: {payments: {}}',
      'repositories:',
      '  - {name: payments/api, team: payments, access: &ci {push: ["arn:aws:iam::111122223333:role/ci"]}}',
      '  - {name: payments/worker, team: payments, access: *ci}',
      `x: ${'['.repeat(MAX_NESTING_DEPTH - 1)}${']'.repeat(MAX_NESTING_DEPTH - 1)}`,
      '',
    ].join('\n');

    // Act / Assess: YAML accepts both; only the schema objects, to the unknown key x.
    expect(messageOf(text)).toMatch(
      /^invalid config hm\.yaml:6:1: x: unknown field \(expected one of env, teams, repositories, [^)]+\)$/,
    );
  });
});

describe('cdk synth with a hostile config: one line on stderr, exit 1, no stack trace', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hm-yaml-limits-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the CDK app exactly as `cdk synth -c config=FILE` does: the cdk.json app command with the context. */
  function synthApp(name: string, text: string) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'infra', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: file }),
        CDK_OUTDIR: path.join(dir, `out-${name}`),
      },
      timeout: 60000,
    });
  }

  it.each([
    [
      'an alias bomb',
      'bomb.yaml',
      ALIAS_BOMB,
      /^invalid config .*bomb\.yaml:2:8: expected YAML aliases to expand at most 100 times/,
    ],
    [
      '5,000-deep nesting',
      'deep.yaml',
      DEEP_FLOW,
      /^invalid config .*deep\.yaml:1:69: expected at most 64 levels of nesting, got more$/,
    ],
  ])('%s', (_name, file, text, line) => {
    // Act
    const result = synthApp(file, text);

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(result.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(result.stdout).toBe('');
  });
});
