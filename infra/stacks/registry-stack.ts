import { Stack, type StackProps } from 'aws-cdk-lib';
import type { IRepository } from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { CreationTemplates } from '../constructs/registry/creation-templates';
import { GovernedRepository } from '../constructs/registry/governed-repository';
import { NativeReplication } from '../constructs/registry/native-replication';
import { PullThroughCache } from '../constructs/registry/pull-through-cache';
import { RegistryScanning } from '../constructs/registry/registry-scanning';

export interface RegistryStackProps extends StackProps {
  /** The validated Harbormaster config. */
  readonly config: HarbormasterConfig;
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
 * scanning configuration, pull-through cache rules, native replication and creation templates.
 */
export class RegistryStack extends Stack {
  /** Every managed repository by its name, for the automation stack's rules and grants. */
  readonly repositories: ReadonlyMap<string, IRepository>;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id, props);
    const { config } = props;

    const repositories = new Map<string, IRepository>();
    for (const repo of config.repositories) {
      const governed = new GovernedRepository(this, repositoryId(repo.name), { config: repo });
      repositories.set(repo.name, governed.repository);
    }
    this.repositories = repositories;

    if (config.scanning) new RegistryScanning(this, 'Scanning', { config: config.scanning });
    if (config.pullThroughCache.length > 0)
      new PullThroughCache(this, 'PullThroughCache', { rules: config.pullThroughCache });
    if (config.replication && config.replication.rules.length > 0) {
      new NativeReplication(this, 'Replication', { config: config.replication });
    }
    if (config.creationTemplates.length > 0) {
      new CreationTemplates(this, 'CreationTemplates', { templates: config.creationTemplates });
    }
  }
}
