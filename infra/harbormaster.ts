import { type App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { HarbormasterConfig } from '../shared/config/schema';
import { AutomationStack } from './stacks/automation-stack';
import { RegistryStack } from './stacks/registry-stack';
import { replicaStacksFor } from './stacks/replica-registry-stack';
import { replicationTemplateStacksFor } from './stacks/replication-templates-stack';

export interface HarbormasterStacks {
  readonly registry: RegistryStack;
  readonly automation: AutomationStack;
}

/** Builds every Harbormaster stack from one validated config and attaches cdk-nag to the app. */
export function buildHarbormaster(app: App, config: HarbormasterConfig): HarbormasterStacks {
  const env: Environment = { region: config.env.region, account: config.env.account };
  const registry = new RegistryStack(app, 'HarbormasterRegistry', {
    env,
    config,
    description: 'Harbormaster: governed ECR repositories, scanning, pull-through cache and replication',
  });
  // Native replicas follow the creation templates of their own region: put them there too.
  replicationTemplateStacksFor(app, config);
  const automation = new AutomationStack(app, 'HarbormasterAutomation', {
    env,
    config,
    description: 'Harbormaster: push and scan automation, alerts, audit trail and gated replication',
  });
  // Gated replication copies into repositories that must already exist with the source's settings.
  // Deploy them before the automation that copies into them.
  for (const replicas of replicaStacksFor(app, config)) automation.addStackDependency(replicas);
  // Rules run at every synth; acknowledgements sit next to the resources they excuse.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { registry, automation };
}
