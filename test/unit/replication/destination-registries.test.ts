import { parseConfig } from '../../../shared/config/load';
import type { ConfigInput } from '../../../shared/config/schema';
import {
  destinationProblems,
  destinationRegistries,
} from '../../../shared/replication/destination-registries';

const SOURCE = '111122223333';

function config(overrides: Partial<ConfigInput>, account: string | null = SOURCE) {
  return parseConfig({
    env: { region: 'eu-west-1', ...(account ? { account } : {}) },
    teams: { payments: {} },
    repositories: [
      { name: 'payments/api', team: 'payments' },
      { name: 'payments/worker', team: 'payments' },
    ],
    ...overrides,
  });
}

describe('destinationRegistries', () => {
  it('groups native prefixes and gated repositories by account and region, in config order, without duplicates', () => {
    // Prepare
    const cfg = config({
      replication: {
        rules: [
          {
            destinations: [{ region: 'us-east-1', account: '444455556666' }],
            repositoryPrefixes: ['payments/'],
          },
          {
            destinations: [{ region: 'us-east-1', account: '444455556666' }, { region: 'eu-central-1' }],
            repositoryPrefixes: ['payments/', 'platform/'],
          },
        ],
      },
      gatedReplication: [
        {
          name: 'dr',
          repositories: ['payments/api'],
          tagPatterns: ['v*'],
          destinations: [
            { type: 'ecr', region: 'eu-west-1', account: '999988887777' },
            { type: 'ecr', region: 'us-east-1', account: '444455556666', repositoryPrefix: 'mirror/' },
          ],
        },
      ],
    });

    // Act
    const registries = destinationRegistries(cfg);

    // Assess
    expect(
      registries.map((r) => ({ ...r, gated: r.gated.map((t) => `${t.source.name}->${t.repositoryName}`) })),
    ).toEqual([
      {
        account: '444455556666',
        region: 'us-east-1',
        native: true,
        nativePrefixes: ['payments/', 'platform/'],
        gated: ['payments/api->mirror/payments/api'],
      },
      {
        account: '999988887777',
        region: 'eu-west-1',
        native: false,
        nativePrefixes: [],
        gated: ['payments/api->payments/api'],
      },
    ]);
  });

  it('a native rule without prefixes opens the whole registry (nativePrefixes undefined)', () => {
    const cfg = config({
      replication: {
        rules: [
          {
            destinations: [{ region: 'us-east-1', account: '444455556666' }],
            repositoryPrefixes: ['payments/'],
          },
          { destinations: [{ region: 'us-east-1', account: '444455556666' }] },
        ],
      },
    });

    expect(destinationRegistries(cfg)).toEqual([
      { account: '444455556666', region: 'us-east-1', native: true, nativePrefixes: undefined, gated: [] },
    ]);
  });

  it('treats the source account spelt out as the same account', () => {
    const cfg = config({
      replication: { rules: [{ destinations: [{ region: 'us-east-1', account: SOURCE }] }] },
      gatedReplication: [
        {
          name: 'dr',
          repositories: ['payments/*'],
          tagPatterns: ['v*'],
          destinations: [{ type: 'ecr', region: 'us-east-1', account: SOURCE, repositoryPrefix: 'dr/' }],
        },
      ],
    });

    expect(destinationRegistries(cfg)).toEqual([]);
  });
});

describe('destinationProblems', () => {
  it('asks for env.account, naming the first cross-account destination (gated too)', () => {
    const cfg = config(
      {
        gatedReplication: [
          {
            name: 'dr',
            repositories: ['payments/*'],
            tagPatterns: ['v*'],
            destinations: [
              { type: 'registry', host: 'ghcr.io' },
              { type: 'ecr', region: 'us-east-1', account: '444455556666' },
            ],
          },
        ],
      },
      null,
    );

    expect(destinationProblems(cfg)).toEqual([
      {
        path: ['env', 'account'],
        message:
          'expected the 12-digit account id the stacks deploy to: gatedReplication[0].destinations[1] replicates to account 444455556666, whose HarbormasterDestination stack grants the source account by id',
      },
    ]);
  });

  it('has nothing to say with env.account set, or without account-named destinations', () => {
    const native = { rules: [{ destinations: [{ region: 'us-east-1', account: '444455556666' }] }] };

    expect(destinationProblems(config({ replication: native }))).toEqual([]);
    expect(
      destinationProblems(
        config({ replication: { rules: [{ destinations: [{ region: 'us-east-1' }] }] } }, null),
      ),
    ).toEqual([]);
  });
});
