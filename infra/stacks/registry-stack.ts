import { Annotations, Aspects, Stack, type StackProps } from 'aws-cdk-lib';
import type { IRepository } from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { allowlistExpiries } from '../../shared/config/allowlist-expiry';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { KmsGrantGuard } from '../constructs/guardrails/kms-grant-guard';
import { BlobMounting } from '../constructs/registry/blob-mounting';
import { CreationTemplates } from '../constructs/registry/creation-templates';
import { GovernedRepository } from '../constructs/registry/governed-repository';
import { NativeReplication } from '../constructs/registry/native-replication';
import { PullThroughCache } from '../constructs/registry/pull-through-cache';
import { RegistryScanning } from '../constructs/registry/registry-scanning';
import { SigningConfiguration } from '../constructs/registry/signing-configuration';

export interface RegistryStackProps extends StackProps {
  /** The validated Harbormaster config. */
  readonly config: HarbormasterConfig;
  /**
   * The clock for allowlist expiry warnings.
   * @default - the context value `harbormaster:now` (an ISO date, e.g. `-c harbormaster:now=2027-03-01`), else now
   */
  readonly now?: Date;
}

/** Construct id of a repository: its name without the separators CloudFormation ids cannot hold. */
function repositoryId(name: string): string {
  return name
    .split(/[/._-]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * The registry half of Harbormaster (R1-R7): governed repositories from the config, the registry's
 * scanning configuration, pull-through cache rules, native replication, creation templates and, when the config
 * opts in, ECR blob mounting.
 */
export class RegistryStack extends Stack {
  /** Every managed repository by its name, for the automation stack's rules and grants. */
  readonly repositories: ReadonlyMap<string, IRepository>;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    // CT.KMS.PR.3 on every key of the stack (the logs key of the blob mounting custom resource).
    Aspects.of(this).add(new KmsGrantGuard());
    const { config } = props;

    const repositories = new Map<string, IRepository>();
    for (const repo of config.repositories) {
      const governed = new GovernedRepository(this, repositoryId(repo.name), { config: repo });
      repositories.set(repo.name, governed.repository);
    }
    // Expired or soon-expiring allowlist entries: a synth warning on the repository, so nobody learns it from a failing image.
    const contextNow: unknown = this.node.tryGetContext('harbormaster:now');
    const now = props.now ?? (typeof contextNow === 'string' ? new Date(contextNow) : new Date());
    if (Number.isNaN(now.getTime())) {
      throw new Error(
        `context harbormaster:now: expected an ISO date such as 2027-03-01, got ${String(contextNow)}`,
      );
    }
    for (const expiry of allowlistExpiries(config, now)) {
      const repository = this.node.findChild(repositoryId(expiry.repository));
      Annotations.of(repository).addWarningV2(`harbormaster:allowlist-${expiry.status}`, expiry.message);
    }
    this.repositories = repositories;

    if (config.scanning) new RegistryScanning(this, 'Scanning', { config: config.scanning });
    if (config.pullThroughCache.length > 0)
      new PullThroughCache(this, 'PullThroughCache', { rules: config.pullThroughCache });
    if (config.replication && config.replication.rules.length > 0) {
      new NativeReplication(this, 'Replication', { config: config.replication });
    }
    if (config.signing && config.signing.rules.length > 0) {
      new SigningConfiguration(this, 'Signing', {
        rules: config.signing.rules,
        repositories: config.repositories,
      });
    }
    if (config.creationTemplates.length > 0) {
      new CreationTemplates(this, 'CreationTemplates', { templates: config.creationTemplates });
    }
    if (config.blobMounting) new BlobMounting(this, 'BlobMounting', { config });
  }
}
