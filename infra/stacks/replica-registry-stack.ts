import { Stack, type App, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { HarbormasterConfig, RepositoryConfig } from '../../shared/config/schema';
import { GovernedRepository } from '../constructs/registry/governed-repository';
import { ecrReplicaTargets, type EcrReplicaTarget } from '../../shared/replication/rule-targets';

export interface ReplicaRegistryStackProps extends StackProps {
  /** The replica repositories of this stack's region (same account as the source registry). */
  readonly targets: readonly EcrReplicaTarget[];
}

/**
 * The ECR repositories gated replication writes to in one region of the source account, created with the
 * source repository's settings (encryption, scan on push, tag mutability and exclusions, lifecycle, access,
 * tags, removal policy) so a replica is governed like its original. Two deliberate differences:
 * - nobody but the replicator pushes to a replica: the source's push principals are left out of its policy
 *   (the replicator's own role needs no repository policy in its own account);
 * - a KMS key ARN is regional: a replica in another region uses KMS with the AWS managed key aws/ecr there.
 */
export class ReplicaRegistryStack extends Stack {
  /** Replica repository names in this stack, in creation order. */
  public readonly repositoryNames: readonly string[];

  constructor(scope: Construct, id: string, props: ReplicaRegistryStackProps) {
    const { targets, ...stackProps } = props;
    super(scope, id, stackProps);
    const region = this.region;
    this.repositoryNames = targets.map((target) => {
      const config = replicaSettings(target.source, target.repositoryName, region);
      new GovernedRepository(this, constructIdFor(target.repositoryName), { config });
      return target.repositoryName;
    });
  }
}

/** The source's settings for a replica named `name` in `region`. */
export function replicaSettings(source: RepositoryConfig, name: string, region: string): RepositoryConfig {
  const key = source.encryption.type === 'KMS' ? source.encryption.kmsKeyArn : undefined;
  const keyRegion = key?.split(':')[3];
  return {
    ...source,
    name,
    encryption: key && keyRegion !== region ? { type: 'KMS' } : source.encryption,
    access: { ...source.access, push: [] },
    tags: { ...source.tags, 'harbormaster:replica-of': source.name },
  };
}

function constructIdFor(repositoryName: string): string {
  return `Replica-${repositoryName.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/**
 * One ReplicaRegistryStack per destination region of the gated replication rules' ECR destinations in the
 * source account (`HarbormasterReplicas-<region>`). Cross-account destinations are not created here: their
 * repositories belong to the destination account (see the README's cross-account setup).
 */
export function replicaStacksFor(app: App, config: HarbormasterConfig): ReplicaRegistryStack[] {
  const byRegion = new Map<string, EcrReplicaTarget[]>();
  for (const target of ecrReplicaTargets(config)) {
    if (target.account !== undefined) continue;
    byRegion.set(target.region, [...(byRegion.get(target.region) ?? []), target]);
  }
  return [...byRegion.entries()].map(
    ([region, targets]) =>
      new ReplicaRegistryStack(app, `HarbormasterReplicas-${region}`, {
        env: { region, account: config.env.account },
        targets,
        description: `Harbormaster: gated replication destination repositories in ${region}`,
      }),
  );
}
