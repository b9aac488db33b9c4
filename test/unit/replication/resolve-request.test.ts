import type { GatedReplicationRule } from '../../../shared/config/schema';
import type { ReplicationRequest } from '../../../shared/replication/parse-request';
import { ledgerEntries, pendingDestinations } from '../../../shared/replication/replication-ledger';
import {
  ReplicationRequestRejectedError,
  resolveReplicationRequest,
} from '../../../shared/replication/resolve-request';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const DEPLOYMENT = { account: '111122223333', region: 'eu-west-1' };
const RULE: GatedReplicationRule = {
  name: 'payments-dr',
  repositories: ['payments/*'],
  tagPatterns: ['v*'],
  maxSeverity: 'MEDIUM',
  destinations: [
    { type: 'ecr', region: 'us-east-1', repositoryPrefix: '' },
    { type: 'registry', host: 'ghcr.io', repositoryPrefix: 'org/', credentialsSecret: 'hm/ghcr' },
  ],
};
const CONFIG = {
  gatedReplication: [RULE],
  repositories: [{ name: 'payments/api', team: 'payments', releaseTags: [], autoTag: [], scan: {} }] as never,
};
const request = (fields: Partial<ReplicationRequest> = {}): ReplicationRequest => ({
  version: 1,
  eventId: 'evt-1',
  rule: 'payments-dr',
  repository: 'payments/api',
  digest: DIGEST,
  tags: ['v1.4.2'],
  ...fields,
});

describe('resolveReplicationRequest', () => {
  it('takes the destinations from the rule and the source from the deployment; tags sorted, once each', () => {
    const { job, rule } = resolveReplicationRequest(
      request({ tags: ['v1.4.2', 'v1.4', 'v1.4.2'] }),
      CONFIG,
      DEPLOYMENT,
    );

    expect(rule).toBe(RULE);
    expect(job).toEqual({
      eventId: 'evt-1',
      rule: 'payments-dr',
      source: DEPLOYMENT,
      repository: 'payments/api',
      digest: DIGEST,
      tags: ['v1.4', 'v1.4.2'],
      destinations: RULE.destinations,
    });
  });

  it('accepts what older senders include when it equals the config (an account spelled out included)', () => {
    const resolved = resolveReplicationRequest(
      request({
        source: DEPLOYMENT,
        destinations: [
          { type: 'ecr', region: 'us-east-1', account: '111122223333', repositoryPrefix: '' },
          { type: 'registry', host: 'ghcr.io', repositoryPrefix: 'org/', credentialsSecret: 'hm/ghcr' },
        ],
      }),
      CONFIG,
      DEPLOYMENT,
    );

    expect(resolved.job.destinations).toBe(RULE.destinations);
  });

  it.each([
    [
      'a registry destination without the rule secret',
      request({ destinations: [{ type: 'registry', host: 'ghcr.io', repositoryPrefix: 'org/' }] }),
      'replication message rejected: destinations.0: not a destination of rule payments-dr (host, prefix or secret differ)',
    ],
    [
      'another prefix',
      request({ destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: 'x/' }] }),
      'replication message rejected: destinations.0: not a destination of rule payments-dr (host, prefix or secret differ)',
    ],
    [
      'a destination of another shape',
      request({ destinations: [{ type: 'ecr', region: 'us-east-1', host: 'attacker.example' }, {}] }),
      'replication message rejected: destinations.1: not a destination of rule payments-dr (host, prefix or secret differ)',
    ],
    [
      'another account for an ECR destination',
      request({ destinations: [{ type: 'ecr', region: 'us-east-1', account: '999999999999' }] }),
      'replication message rejected: destinations.0: not a destination of rule payments-dr (host, prefix or secret differ)',
    ],
    [
      'another region of the source',
      request({ source: { account: '111122223333', region: 'us-east-1' } }),
      "replication message rejected: source: expected this deployment's account 111122223333 and region eu-west-1, got 111122223333 us-east-1",
    ],
    [
      'an unmanaged repository the glob would match',
      request({ repository: 'payments/unknown' }),
      'replication message rejected: repository: "payments/unknown" is not a managed repository',
    ],
  ])('rejects %s', (_name, input, message) => {
    const attempt = () => resolveReplicationRequest(input, CONFIG, DEPLOYMENT);

    expect(attempt).toThrow(ReplicationRequestRejectedError);
    expect(attempt).toThrow(message);
  });
});

describe('pendingDestinations', () => {
  const { job } = resolveReplicationRequest(request(), CONFIG, DEPLOYMENT);

  it('keeps a destination until the image and every tag are recorded there', () => {
    const ecrDone = new Set(ledgerEntries(job, RULE.destinations[0]));
    const ghcrImageOnly = new Set([...ecrDone, 'ghcr.io/org/payments/api']);

    expect(pendingDestinations(job, new Set())).toEqual(RULE.destinations);
    expect(pendingDestinations(job, ecrDone)).toEqual([RULE.destinations[1]]);
    expect(pendingDestinations(job, ghcrImageOnly)).toEqual([RULE.destinations[1]]);
    expect(ledgerEntries(job, RULE.destinations[1])).toEqual([
      'ghcr.io/org/payments/api',
      'ghcr.io/org/payments/api:v1.4.2',
    ]);
  });
});
