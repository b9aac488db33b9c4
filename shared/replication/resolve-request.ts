import type { GatedReplicationRule, ReplicationDestination } from '../config/schema';
import { matchesAnyTagPattern, matchesTagPattern } from '../config/tag-patterns';
import type { RuntimeConfig } from '../runtime/runtime-config';
import type { SourceRegistry } from './destination-ref';
import { ReplicationMessageError } from './build-message';
import type { ReplicationRequest } from './parse-request';

/**
 * What the replicator copies: everything but the identity comes from the compiled-in config, so a message
 * cannot name a destination, a credentials secret or a source of its own.
 */
export interface ReplicationJob {
  readonly eventId: string;
  /** The gated replication rule's name. */
  readonly rule: string;
  /** This deployment's registry (never the message's). */
  readonly source: SourceRegistry;
  readonly repository: string;
  readonly digest: string;
  /** The message's tags, each one matching the rule's tagPatterns; sorted, no duplicates. */
  readonly tags: readonly string[];
  /** The rule's destinations, as the config gives them. */
  readonly destinations: readonly ReplicationDestination[];
}

/** A request the config allows: the job and the rule it came from (its maxSeverity gates the verdict). */
export interface ResolvedRequest {
  readonly job: ReplicationJob;
  readonly rule: GatedReplicationRule;
}

/** A message the config does not allow (poison: retrying cannot change the answer); names what did not match. */
export class ReplicationRequestRejectedError extends ReplicationMessageError {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicationRequestRejectedError';
  }
}

/**
 * One destination as a comparable key: type, where (region and account, or host), prefix and secret, with the
 * config's defaults applied (no prefix is "", no account is the deployment's). Built from the fields alone, so
 * a sender's destination of any shape compares without being trusted.
 */
function destinationKey(d: Readonly<Record<string, unknown>>, account: string): string {
  const prefix = d.repositoryPrefix ?? '';
  return JSON.stringify(
    d.type === 'ecr'
      ? ['ecr', d.region, (d.account ?? account) === account ? null : d.account, prefix]
      : [d.type, d.host, prefix, d.credentialsSecret ?? null],
  );
}

/**
 * Checks a parsed message against the config and the deployment (pure). The rule must exist, the repository
 * must be a managed one the rule selects, every tag must match the rule's tagPatterns, and whatever older
 * senders still include (source, destinations) must equal what the config says; the job then holds the
 * config's destinations and the deployment's source. Throws ReplicationRequestRejectedError otherwise.
 */
export function resolveReplicationRequest(
  request: ReplicationRequest,
  config: Pick<RuntimeConfig, 'gatedReplication' | 'repositories'>,
  deployment: SourceRegistry,
): ResolvedRequest {
  const reject = (why: string) => {
    throw new ReplicationRequestRejectedError(`replication message rejected: ${why}`);
  };
  const rule = config.gatedReplication.find((r) => r.name === request.rule);
  if (!rule) return reject(`rule: no gated replication rule named "${request.rule}" in the config`);
  const { repository } = request;
  if (!config.repositories.some((r) => r.name === repository))
    return reject(`repository: "${repository}" is not a managed repository`);
  if (!rule.repositories.some((glob) => matchesTagPattern(repository, glob)))
    return reject(`repository: rule ${rule.name} does not replicate "${repository}"`);
  const tags = [...new Set(request.tags)].sort();
  const foreignTag = tags.find((tag) => !matchesAnyTagPattern(tag, rule.tagPatterns));
  if (foreignTag !== undefined)
    return reject(`tags: "${foreignTag}" does not match the tagPatterns of rule ${rule.name}`);
  if (
    request.source &&
    (request.source.account !== deployment.account || request.source.region !== deployment.region)
  ) {
    return reject(
      `source: expected this deployment's account ${deployment.account} and region ${deployment.region}, got ${request.source.account} ${request.source.region}`,
    );
  }
  if (request.destinations) {
    const allowed = new Set(rule.destinations.map((d) => destinationKey(d, deployment.account)));
    for (const [i, destination] of request.destinations.entries()) {
      if (!allowed.has(destinationKey(destination, deployment.account)))
        return reject(
          `destinations.${i}: not a destination of rule ${rule.name} (host, prefix or secret differ)`,
        );
    }
  }
  return {
    rule,
    job: {
      eventId: request.eventId,
      rule: rule.name,
      source: { account: deployment.account, region: deployment.region },
      repository,
      digest: request.digest,
      tags,
      destinations: rule.destinations,
    },
  };
}
