import {
  buildReplicationMessage,
  parseReplicationMessage,
  ReplicationMessageError,
  serializeReplicationMessage,
} from '../../../shared/replication/message';

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
    expect(parsed).toEqual({ ...valid, version: 1, destinations: [{ type: 'ecr', region: 'us-east-1', repositoryPrefix: '' }] });
  });

  it('names the bad field', () => {
    const body = JSON.stringify({ ...valid, version: 1, digest: 'latest' });

    expect(() => parseReplicationMessage(body)).toThrow(ReplicationMessageError);
    expect(() => parseReplicationMessage(body)).toThrow(/digest: expected an image digest/);
  });

  it('rejects a body that is not JSON', () => {
    expect(() => parseReplicationMessage('{nope')).toThrow('invalid replication message: expected a JSON body');
  });

  it('rejects a message without destinations at the sender', () => {
    expect(() => buildReplicationMessage({ ...valid, destinations: [] })).toThrow(/destinations: expected at least one destination/);
  });
});
