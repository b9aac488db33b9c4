import { Aws, Stack, type App, type StackProps } from 'aws-cdk-lib';
import { CfnRegistryPolicy } from 'aws-cdk-lib/aws-ecr';
import { AccountPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { ConfigError } from '../../shared/config/errors';
import type {
  CreationTemplateConfig,
  HarbormasterConfig,
  RepositoryConfig,
} from '../../shared/config/schema';
import {
  destinationProblems,
  destinationRegistries,
  type DestinationRegistry,
} from '../../shared/replication/destination-registries';
import type { EcrReplicaTarget } from '../../shared/replication/rule-targets';
import { CreationTemplates } from '../constructs/registry/creation-templates';
import { GovernedRepository } from '../constructs/registry/governed-repository';
import { DESTINATION_ECR_ACTIONS } from '../constructs/replication/gated-replicator';
import { replicaSettings } from './replica-registry-stack';

/** What native replication asks of the destination registry (AWS: "registry permissions for cross account replication"). */
export const NATIVE_REPLICATION_ACTIONS = ['ecr:CreateRepository', 'ecr:ReplicateImage'] as const;

export interface HarbormasterDestinationStackProps extends StackProps {
  /** The source registry's account: the one native and gated replication copy from. */
  readonly sourceAccount: string;
  /** This registry's share of the config: which native prefixes arrive here, which gated repositories to create. */
  readonly destination: DestinationRegistry;
  /** The REPLICATION creation templates of the config (applied when native replication targets this registry). */
  readonly templates: readonly CreationTemplateConfig[];
  /** The gated replicator's role name in the source account (required when `destination.gated` is not empty). */
  readonly replicatorRoleName?: string;
}

/**
 * What one destination account and region needs for replication from a Harbormaster source account, deployed
 * with the destination account's credentials (X1):
 * - native replication: a registry policy letting the source account's replication create repositories and
 *   replicate images, limited to the rules' repository prefixes, and the REPLICATION creation templates, so the
 *   replicas ECR creates here inherit lifecycle, mutability, encryption, policy and tags;
 * - gated replication: each destination repository with the source repository's settings (as in the
 *   same-account replica stacks, without the source's push and admin principals), whose policy lets exactly
 *   the source's replicator role push.
 * A KMS key of the source account cannot encrypt here: such repositories and templates use aws/ecr of this account.
 */
export class HarbormasterDestinationStack extends Stack {
  /** Gated destination repository names in this stack, in creation order. */
  public readonly repositoryNames: readonly string[];

  constructor(scope: Construct, id: string, props: HarbormasterDestinationStackProps) {
    const { sourceAccount, destination, templates, replicatorRoleName, ...stackProps } = props;
    super(scope, id, stackProps);

    if (destination.native) {
      const prefixes = destination.nativePrefixes ?? [''];
      new CfnRegistryPolicy(this, 'RegistryPolicy', {
        policyText: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'HarbormasterNativeReplication',
              Effect: 'Allow',
              Principal: { AWS: `arn:${Aws.PARTITION}:iam::${sourceAccount}:root` },
              Action: [...NATIVE_REPLICATION_ACTIONS],
              Resource: prefixes.map((prefix) =>
                this.formatArn({ service: 'ecr', resource: 'repository', resourceName: `${prefix}*` }),
              ),
            },
          ],
        },
      });
      if (templates.length > 0) {
        new CreationTemplates(this, 'CreationTemplates', {
          templates: templates.map(destinationTemplate),
        });
      }
    }

    if (destination.gated.length > 0 && !replicatorRoleName) {
      throw new Error(
        `HarbormasterDestinationStack ${id}: replicatorRoleName is required for the gated repositories`,
      );
    }
    const replicatorArn = `arn:${Aws.PARTITION}:iam::${sourceAccount}:role/${replicatorRoleName}`;
    this.repositoryNames = destination.gated.map((target) => {
      const governed = new GovernedRepository(this, constructIdFor(target.repositoryName), {
        config: destinationRepositorySettings(target, this.region),
      });
      // The source account as principal, narrowed to the replicator's ARN: valid before that role exists and
      // after it is re-created (a role ARN principal would need it to exist, and go stale on re-creation).
      governed.repository.addToResourcePolicy(
        new PolicyStatement({
          sid: 'HarbormasterReplicatorPush',
          principals: [new AccountPrincipal(sourceAccount)],
          actions: [...DESTINATION_ECR_ACTIONS],
          conditions: { ArnEquals: { 'aws:PrincipalArn': replicatorArn } },
        }),
      );
      return target.repositoryName;
    });
  }
}

/** A source account's KMS key cannot encrypt in this account: aws/ecr here instead. */
function localEncryption<T extends { encryption: RepositoryConfig['encryption'] }>(settings: T): T {
  return settings.encryption.type === 'KMS' ? { ...settings, encryption: { type: 'KMS' } } : settings;
}

/**
 * The source repository's settings for its gated destination repository in another account. Its admin
 * principals are left out too: deleting in this account is for this account's own IAM to grant.
 */
export function destinationRepositorySettings(target: EcrReplicaTarget, region: string): RepositoryConfig {
  const settings = replicaSettings(target.source, target.repositoryName, region);
  return localEncryption({ ...settings, access: { ...settings.access, admin: [] } });
}

/** A REPLICATION template as it applies in another account. */
export function destinationTemplate(template: CreationTemplateConfig): CreationTemplateConfig {
  return localEncryption({ ...template, appliedFor: ['REPLICATION'] });
}

function constructIdFor(repositoryName: string): string {
  return `Destination-${repositoryName.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** The stack id (and name) for one destination registry: `HarbormasterDestination-<account>-<region>`. */
export function destinationStackId(account: string, region: string): string {
  return `HarbormasterDestination-${account}-${region}`;
}

export interface DestinationStacksOptions {
  /** The gated replicator's role name (GatedReplicator.roleName), when the config has gated rules. */
  readonly replicatorRoleName?: string;
}

/**
 * One HarbormasterDestinationStack per account and region outside the source account that native or gated
 * replication writes to; none without cross-account destinations. They are deployed separately, with each
 * destination account's credentials: no other stack depends on them or references them.
 */
export function destinationStacksFor(
  app: App,
  config: HarbormasterConfig,
  options: DestinationStacksOptions = {},
): HarbormasterDestinationStack[] {
  const problems = destinationProblems(config);
  if (problems.length > 0) throw new ConfigError('config', problems);
  const sourceAccount = config.env.account;
  const destinations = destinationRegistries(config);
  if (destinations.length === 0 || sourceAccount === undefined) return [];
  const templates = config.creationTemplates.filter((t) => t.appliedFor.includes('REPLICATION'));
  return destinations.map(
    (destination) =>
      new HarbormasterDestinationStack(app, destinationStackId(destination.account, destination.region), {
        env: { account: destination.account, region: destination.region },
        sourceAccount,
        destination,
        templates,
        replicatorRoleName: options.replicatorRoleName,
        description: `Harbormaster: what account ${destination.account} in ${destination.region} needs to receive replication from account ${sourceAccount} (deploy with its credentials)`,
      }),
  );
}
