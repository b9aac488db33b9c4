import { gatedReplication } from '../../../../shared/config/checks/gated-replication';
import { parseConfig } from '../../../../shared/config/load';
import { configSchema, type ConfigInput, type HarbormasterConfig } from '../../../../shared/config/schema';

function config(
  gated: ConfigInput['gatedReplication'],
  account?: string,
  native?: ConfigInput['replication'],
): HarbormasterConfig {
  return configSchema.parse({
    ...(native ? { replication: native } : {}),
    env: { region: 'eu-west-1', ...(account ? { account } : {}) },
    teams: { payments: {} },
    repositories: [
      { name: 'payments/api', team: 'payments' },
      { name: 'payments/worker', team: 'payments' },
    ],
    gatedReplication: gated,
  });
}

const rule = (overrides: Record<string, unknown> = {}) => ({
  name: 'dr',
  repositories: ['payments/*'],
  tagPatterns: ['v*'],
  destinations: [{ type: 'ecr' as const, region: 'us-east-1' }],
  ...overrides,
});

describe('gatedReplication check', () => {
  it('accepts a compliant config (other region, other account, prefixed same region, external registry)', () => {
    const problems = gatedReplication(
      config(
        [
          rule({
            destinations: [
              { type: 'ecr', region: 'us-east-1' },
              { type: 'ecr', region: 'eu-west-1', account: '444455556666' },
              { type: 'ecr', region: 'eu-west-1', repositoryPrefix: 'staging/' },
              { type: 'registry', host: 'ghcr.io', repositoryPrefix: 'example-org/' },
            ],
          }),
          rule({ name: 'worker-only', repositories: ['payments/worker'] }),
        ],
        '111122223333',
      ),
    );

    expect(problems).toEqual([]);
  });

  it('rejects duplicate rule names', () => {
    expect(gatedReplication(config([rule(), rule()]))).toEqual([
      {
        path: ['gatedReplication', 1, 'name'],
        message: 'expected a unique rule name, got "dr" (also gatedReplication[0])',
      },
    ]);
  });

  it('rejects a repository glob that matches no managed repository', () => {
    expect(gatedReplication(config([rule({ repositories: ['payments/*', 'paymnts/*'] })]))).toEqual([
      {
        path: ['gatedReplication', 0, 'repositories', 1],
        message:
          'expected a name or glob matching at least one managed repository (payments/api, payments/worker), got "paymnts/*"',
      },
    ]);
  });

  it.each([
    ['no account', { type: 'ecr', region: 'eu-west-1' }, undefined],
    ['the source account', { type: 'ecr', region: 'eu-west-1', account: '111122223333' }, '111122223333'],
  ])('rejects the source registry itself (%s)', (_name, destination, account) => {
    expect(gatedReplication(config([rule({ destinations: [destination] })], account))).toEqual([
      {
        path: ['gatedReplication', 0, 'destinations', 0],
        message:
          'expected another region, account or a repositoryPrefix than the source registry, got eu-west-1 in the same account with no prefix',
      },
    ]);
  });

  it('rejects the same destination twice in a rule', () => {
    const problems = gatedReplication(
      config([
        rule({
          destinations: [
            { type: 'ecr', region: 'us-east-1' },
            { type: 'ecr', region: 'us-east-1', repositoryPrefix: '' },
          ],
        }),
      ]),
    );

    expect(problems).toEqual([
      {
        path: ['gatedReplication', 0, 'destinations', 1],
        message: 'expected each destination once per rule, got the same as destinations[0]',
      },
    ]);
  });

  it('rejects a prefix that pushes the destination name past 256 characters', () => {
    const prefix = `${'a'.repeat(249)}/`;

    const problems = gatedReplication(
      config([
        rule({
          repositories: ['payments/api'],
          destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: prefix }],
        }),
      ]),
    );

    expect(problems).toEqual([
      {
        path: ['gatedReplication', 0, 'destinations', 0, 'repositoryPrefix'],
        message: 'expected prefix + repository name within 256 characters, got 262 for payments/api',
      },
    ]);
  });

  it('rejects an ECR destination native replication already fills for the same repositories', () => {
    const native = {
      rules: [{ destinations: [{ region: 'us-east-1' }], repositoryPrefixes: ['payments/'] }],
    };

    expect(gatedReplication(config([rule()], undefined, native))).toEqual([
      {
        path: ['gatedReplication', 0, 'destinations', 0],
        message:
          'expected a destination native replication does not already fill, got us-east-1 where replication.rules[0] copies every image of payments/api ungated',
      },
    ]);
  });

  it('rejects a cross-account ECR destination native replication already fills in that account', () => {
    const native = {
      rules: [{ destinations: [{ region: 'us-east-1', account: '444455556666' }] }],
    };
    const gated = rule({ destinations: [{ type: 'ecr', region: 'us-east-1', account: '444455556666' }] });

    expect(gatedReplication(config([gated], '111122223333', native))).toEqual([
      {
        path: ['gatedReplication', 0, 'destinations', 0],
        message:
          'expected a destination native replication does not already fill, got us-east-1 of account 444455556666 where replication.rules[0] copies every image of payments/api ungated',
      },
    ]);
  });

  it('accepts native replication into another account than the gated destination, or into the source account', () => {
    const gated = rule({ destinations: [{ type: 'ecr', region: 'us-east-1', account: '444455556666' }] });
    const otherAccount = { rules: [{ destinations: [{ region: 'us-east-1', account: '999988887777' }] }] };
    const sourceAccount = { rules: [{ destinations: [{ region: 'us-east-1', account: '111122223333' }] }] };

    expect(gatedReplication(config([gated], '111122223333', otherAccount))).toEqual([]);
    expect(gatedReplication(config([gated], '111122223333', sourceAccount))).toEqual([]);
  });

  it('accepts native replication elsewhere, to other repositories, or a prefixed gated destination', () => {
    const elsewhere = { rules: [{ destinations: [{ region: 'eu-central-1' }] }] };
    const others = {
      rules: [{ destinations: [{ region: 'us-east-1' }], repositoryPrefixes: ['platform/'] }],
    };
    const prefixed = rule({ destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: 'dr/' }] });

    expect(gatedReplication(config([rule()], undefined, elsewhere))).toEqual([]);
    expect(gatedReplication(config([rule()], undefined, others))).toEqual([]);
    expect(
      gatedReplication(
        config([prefixed], undefined, { rules: [{ destinations: [{ region: 'us-east-1' }] }] }),
      ),
    ).toEqual([]);
  });

  it('runs as part of config validation, naming the field', () => {
    const document = {
      env: { region: 'eu-west-1' },
      teams: { payments: {} },
      repositories: [{ name: 'payments/api', team: 'payments' }],
      gatedReplication: [rule({ repositories: ['nothing/*'] })],
    };

    expect(() => parseConfig(document)).toThrow(
      /gatedReplication\[0\]\.repositories\[0\]: expected a name or glob matching/,
    );
  });

  it('gives schema errors that say what a destination prefix must look like', () => {
    const document = {
      env: { region: 'eu-west-1' },
      teams: { payments: {} },
      repositories: [{ name: 'payments/api', team: 'payments' }],
      gatedReplication: [
        rule({ destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: 'dr' }] }),
      ],
    };

    expect(() => parseConfig(document)).toThrow(
      /gatedReplication\[0\]\.destinations\[0\]\.repositoryPrefix: expected a repository prefix ending in "\/", such as dr\/ \(or ""\)/,
    );
  });
});
