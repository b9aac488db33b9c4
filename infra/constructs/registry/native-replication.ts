import { Aws } from 'aws-cdk-lib';
import { CfnReplicationConfiguration } from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { NativeReplicationConfig } from '../../../shared/config/schema';

export interface NativeReplicationProps {
  /** The config's `replication` block. */
  readonly config: NativeReplicationConfig;
}

/**
 * ECR's native replication (R6): every image pushed to a repository whose name starts with one of a
 * rule's prefixes is copied to each destination region/account. There is one configuration per
 * registry: this construct owns it. Destinations in another account must allow this registry
 * with a registry policy there. Repositories ECR creates at a destination take their settings
 * from that registry's REPLICATION creation templates.
 */
export class NativeReplication extends Construct {
  constructor(scope: Construct, id: string, props: NativeReplicationProps) {
    super(scope, id);
    new CfnReplicationConfiguration(this, 'Resource', {
      replicationConfiguration: {
        rules: props.config.rules.map((rule) => ({
          destinations: rule.destinations.map((d) => ({
            region: d.region,
            registryId: d.account ?? Aws.ACCOUNT_ID,
          })),
          repositoryFilters: rule.repositoryPrefixes?.map((filter) => ({
            filter,
            filterType: 'PREFIX_MATCH',
          })),
        })),
      },
    });
  }
}
