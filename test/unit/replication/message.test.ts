import {
  buildReplicationMessage,
  ReplicationMessageError,
  serializeReplicationMessage,
} from '../../../shared/replication/build-message';
import { parseReplicationMessage } from '../../../shared/replication/parse-request';
import { accountId, awsRegion, REPOSITORY_NAME_PATTERN } from '../../../shared/config/primitives';

const DIGEST = `sha256:${'a'.repeat(64)}`;

const valid = {
  eventId: 'evt-1',
  rule: 'payments-releases-dr',
  source: { account: '111122223333', region: 'eu-west-1' },
  repository: 'payments/api',
  digest: DIGEST,
  tags: ['v1.4.2'],
  destinations: [{ type: 'ecr' as const, region: 'us-east-1' }],
};

describe('replication message', () => {
  it('round-trips through the SQS body with defaults applied', () => {
    // Prepare
    const message = buildReplicationMessage(valid);

    // Act
    const parsed = parseReplicationMessage(serializeReplicationMessage(message));

    // Assess
    expect(parsed).toEqual({
      ...valid,
      version: 1,
      destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: '' }],
    });
  });

  it('names the bad field', () => {
    const body = JSON.stringify({ ...valid, version: 1, digest: 'latest' });

    expect(() => parseReplicationMessage(body)).toThrow(ReplicationMessageError);
    expect(() => parseReplicationMessage(body)).toThrow(/digest: expected an image digest/);
  });

  it('rejects a body that is not JSON', () => {
    expect(() => parseReplicationMessage('{nope')).toThrow(
      'invalid replication message: expected a JSON body',
    );
  });

  it('rejects an empty destination list, where older senders named the rule destinations', () => {
    const body = JSON.stringify({ ...valid, version: 1, destinations: [] });

    expect(() => parseReplicationMessage(body)).toThrow(/destinations: expected at least one destination/);
  });

  it('parses an identity-only message and ignores top-level keys it does not know', () => {
    // Prepare: what a sender needs to say; the rest comes from the replicator's config.
    const body = JSON.stringify({
      version: 1,
      eventId: 'evt-1',
      rule: 'payments-releases-dr',
      repository: 'payments/api',
      digest: DIGEST,
      priority: 'high',
    });

    // Act
    const parsed = parseReplicationMessage(body);

    // Assess
    expect(parsed).toEqual({
      version: 1,
      eventId: 'evt-1',
      rule: 'payments-releases-dr',
      repository: 'payments/api',
      digest: DIGEST,
      tags: [],
    });
  });

  it.each([
    ['rule', 'Payments DR\nforged line', /rule: expected a gated replication rule name/],
    ['eventId', 'evt 1\nforged', /eventId: expected the triggering event id/],
  ])('keeps sender text out of logs: a %s of %j is rejected', (field, value, error) => {
    expect(() => parseWith({ [field]: value })).toThrow(error);
  });

  it('builds from the config destination types exactly what the replicator parses', () => {
    // Prepare: both destination kinds, with and without the optional fields (as the validated config holds them)
    const input = {
      ...valid,
      tags: ['v1.4.2', 'v1.4'],
      destinations: [
        { type: 'ecr' as const, region: 'us-east-1' },
        { type: 'ecr' as const, region: 'us-west-2', account: '444455556666', repositoryPrefix: 'dr/' },
        {
          type: 'registry' as const,
          host: 'ghcr.io',
          repositoryPrefix: 'org/',
          credentialsSecret: 'hm/ghcr',
        },
        { type: 'registry' as const, host: 'harbor.example.com:8443' },
      ],
    };

    // Act
    const built = buildReplicationMessage(input);
    const parsed = parseReplicationMessage(serializeReplicationMessage(built));

    // Assess
    expect(parsed).toEqual(built);
    expect(built.destinations.map((d) => d.repositoryPrefix)).toEqual(['', 'dr/', 'org/', '']);
  });
});

/** The body the scan path would send for `fields`, parsed as the replicator parses it. */
function parseWith(fields: Record<string, unknown>) {
  return parseReplicationMessage(JSON.stringify({ ...valid, version: 1, ...fields }));
}

describe('replication message stays in step with the config schema', () => {
  // The replicator's hand-written parser; these cases pin it to the config's zod schemas. Destinations are
  // not validated here: resolve-request.ts compares them with the rule's (test/unit/replication/resolve-request.test.ts).
  it.each([
    ['repository', 'payments/api', true],
    ['repository', 'a', false],
    ['repository', 'Payments/api', false],
    ['repository', 'payments//api', false],
    ['repository', 'team/a_b.c-d', true],
  ])('%s "%s" -> %s, as in the config', (_field, value, expected) => {
    const build = () => parseWith({ repository: value });

    expect(REPOSITORY_NAME_PATTERN.test(value)).toBe(expected);
    if (expected) expect(build).not.toThrow();
    else expect(build).toThrow(/repository: expected an ECR repository name/);
  });

  it('checks the source account and region like the config primitives', () => {
    expect(() => parseWith({ source: { account: '1234', region: 'eu-west-1' } })).toThrow(
      /source\.account: expected a 12-digit AWS account id/,
    );
    expect(accountId.safeParse('1234').success).toBe(false);
    expect(() => parseWith({ source: { account: '111122223333', region: 'europe' } })).toThrow(
      /source\.region: expected an AWS region/,
    );
    expect(awsRegion.safeParse('europe').success).toBe(false);
  });
});
