import { ConfigError } from '../../../shared/config/errors';
import { closestKey, editDistance, knownKeysAt } from '../../../shared/config/known-keys';
import { parseConfig, parseConfigText } from '../../../shared/config/load';
import { configSchema } from '../../../shared/config/schema';

/** A small valid config; line numbers below refer to it (line 1 is `env:`). */
const VALID = `env:
  region: eu-west-1
teams:
  payments: {}
repositories:
  - name: payments/api
    team: payments
    lifecycle:
      keepLast: 10
    releaseTags: ['v*']
    scan:
      maxSeverity: HIGH
      allowlist:
        - id: CVE-2023-45853
          reason: not reachable
          expires: '2027-03-31'
  - name: payments/worker
    team: payments
`;

function errorOf(text: string, source = 'configs/prod.yaml'): ConfigError {
  try {
    parseConfigText(text, source);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config errors from a file: file:line:col, the repository, did you mean', () => {
  it('accepts the valid base (so each case below breaks exactly one thing)', () => {
    expect(parseConfigText(VALID, 'configs/prod.yaml').repositories).toHaveLength(2);
  });

  it('points a misspelt key at its own line and column and suggests the known key', () => {
    // Prepare
    const text = VALID.replace('    team: payments\n    lifecycle', '    team: payments\n    lifecylce');

    // Act
    const error = errorOf(text);

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:8:5: repositories[0].lifecylce (payments/api): unknown field (did you mean lifecycle?)',
    );
    expect(error.issues).toEqual([
      {
        path: ['repositories', 0, 'lifecylce'],
        message: 'unknown field (did you mean lifecycle?)',
        position: { line: 8, col: 5 },
        repository: 'payments/api',
      },
    ]);
  });

  it('suggests across letter case and swapped letters, inside nested objects', () => {
    // Prepare
    const text = VALID.replace('      maxSeverity: HIGH', '      maxseverity: HIGH').replace(
      '          reason: not',
      '          raeson: not',
    );

    // Act
    const error = errorOf(text);

    // Assess: one line per problem, each at its key (a missing key: at the object that lacks it).
    expect(error.problems).toEqual([
      'configs/prod.yaml:14:11: repositories[0].scan.allowlist[0].reason (payments/api): expected a non-empty string, but it is missing',
      'configs/prod.yaml:15:11: repositories[0].scan.allowlist[0].raeson (payments/api): unknown field (did you mean reason?)',
      'configs/prod.yaml:12:7: repositories[0].scan.maxseverity (payments/api): unknown field (did you mean maxSeverity?)',
    ]);
  });

  it('lists the accepted keys when no key is close', () => {
    // Act
    const error = errorOf(VALID.replace('  region: eu-west-1', '  region: eu-west-1\n  zone: a'));

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:3:3: env.zone: unknown field (expected one of region, account)',
    );
  });

  it('points a bad value at the value, and names the repository it belongs to', () => {
    // Act
    const error = errorOf(VALID.replace('keepLast: 10', 'keepLast: -1'));

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:9:17: repositories[0].lifecycle.keepLast (payments/api): expected a positive integer, got -1',
    );
  });

  it('points a missing field at the object that lacks it', () => {
    // Act
    const error = errorOf(
      VALID.replace('  - name: payments/worker\n    team: payments\n', '  - name: payments/worker\n'),
    );

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:17:5: repositories[1].team (payments/worker): expected a non-empty string, but it is missing',
    );
  });

  it('locates the cross-field checks too (they run after the schema)', () => {
    // Act
    const error = errorOf(
      VALID.replace(
        '  - name: payments/worker\n    team: payments',
        '  - name: payments/worker\n    team: billing',
      ),
    );

    // Assess
    expect(error.problems).toEqual([
      expect.stringMatching(/^configs\/prod\.yaml:18:11: repositories\[1\]\.team \(payments\/worker\): /),
    ]);
  });

  it('renders several problems as a header and one indented line each', () => {
    // Act
    const error = errorOf(VALID.replace('eu-west-1', 'mars').replace('keepLast: 10', 'keepLast: 0'));

    // Assess
    expect(error.message.split('\n')).toEqual([
      'invalid config configs/prod.yaml:',
      '  configs/prod.yaml:2:11: env.region: expected an AWS region such as eu-west-1, got "mars"',
      '  configs/prod.yaml:9:17: repositories[0].lifecycle.keepLast (payments/api): expected a positive integer, got 0',
    ]);
  });

  it('keeps plain field-path lines for a document that did not come from a file', () => {
    // Act
    let error: unknown;
    try {
      parseConfig({ env: { region: 'eu-west-1', regoin: 'x' }, teams: {}, repositories: [] }, 'object');
    } catch (e) {
      error = e;
    }

    // Assess
    expect((error as ConfigError).problems).toEqual([
      'env.regoin: unknown field (did you mean region?)',
      'repositories: expected at least one repository, got an array of 0',
    ]);
  });
});

describe('YAML syntax errors', () => {
  it('give one line: the first error, at its position (one bad indent makes many)', () => {
    // Prepare: `team` indented one space short of `name`.
    const text = VALID.replace(
      '  - name: payments/worker\n    team: payments',
      '  - name: payments/worker\n   team: payments',
    );

    // Act
    const error = errorOf(text);

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:18:1: expected valid YAML: Sequence item without - indicator',
    );
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('name a duplicated key', () => {
    // Act
    const error = errorOf(VALID.replace('  region: eu-west-1', '  region: eu-west-1\n  region: us-east-1'));

    // Assess
    expect(error.message).toBe(
      'invalid config configs/prod.yaml:3:3: expected valid YAML: Map keys must be unique',
    );
  });
});

describe('dates: real calendar days only', () => {
  it.each(['2027-02-30', '2027-02-29', '2027-04-31', '2027-13-01', '2027-00-10'])('refuses %s', (date) => {
    // Act
    const error = errorOf(VALID.replace("expires: '2027-03-31'", `expires: '${date}'`));

    // Assess
    expect(error.message).toBe(
      `invalid config configs/prod.yaml:16:20: repositories[0].scan.allowlist[0].expires (payments/api): expected a real calendar date, got "${date}"`,
    );
  });

  it.each(['2028-02-29', '2027-12-31', '2027-01-01'])('accepts %s', (date) => {
    const config = parseConfigText(VALID.replace("expires: '2027-03-31'", `expires: '${date}'`), 'c.yaml');
    expect(config.repositories[0].scan.allowlist[0].expires).toBe(date);
  });

  it('accepts an unquoted date (YAML 1.2 reads it as a string)', () => {
    const config = parseConfigText(VALID.replace("expires: '2027-03-31'", 'expires: 2027-03-31'), 'c.yaml');
    expect(config.repositories[0].scan.allowlist[0].expires).toBe('2027-03-31');
  });

  it('says what format it expects for a malformed date', () => {
    expect(errorOf(VALID.replace("expires: '2027-03-31'", "expires: '2027-3-1'")).problems).toEqual([
      'configs/prod.yaml:16:20: repositories[0].scan.allowlist[0].expires (payments/api): expected a date as YYYY-MM-DD, got "2027-3-1"',
    ]);
  });
});

describe('known keys and edit distance', () => {
  it('finds the keys of an object through arrays, defaults and unions', () => {
    expect(knownKeysAt(configSchema, ['env'])).toEqual(['region', 'account']);
    expect(knownKeysAt(configSchema, ['repositories', 0, 'autoTag', 1])).toEqual([
      'type',
      'latest',
      'prefix',
      'match',
      'tag',
    ]);
    expect(knownKeysAt(configSchema, ['teams', 'payments'])).toEqual(['emails']);
  });

  it('counts an adjacent swap as one edit and ignores case', () => {
    expect(editDistance('tagMutabilty', 'tagMutability')).toBe(1);
    expect(editDistance('raeson', 'reason')).toBe(1);
    expect(editDistance('MAXSEVERITY', 'maxSeverity')).toBe(0);
  });

  it('suggests only keys close enough to be a typo', () => {
    expect(closestKey('releaseTag', ['releaseTags', 'removalPolicy'])).toBe('releaseTags');
    expect(closestKey('zone', ['region', 'account'])).toBeUndefined();
  });
});
