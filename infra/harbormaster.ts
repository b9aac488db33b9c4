import {
  type App,
  type Environment,
  type IPolicyValidationContext,
  type IPolicyValidationPluginBeta1,
  type PolicyValidationPluginReportBeta1,
  Stage,
  type Stack,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { loadConfig, parseConfig } from '../shared/config/load';
import type { ConfigInput, HarbormasterConfig } from '../shared/config/schema';
import { AutomationStack } from './stacks/automation-stack';
import { destinationStacksFor, type HarbormasterDestinationStack } from './stacks/destination-stack';
import { RegistryStack } from './stacks/registry-stack';
import { replicaStacksFor } from './stacks/replica-registry-stack';
import { replicationTemplateStacksFor } from './stacks/replication-templates-stack';

export interface HarbormasterProps {
  /**
   * The Harbormaster config: a YAML/JSON file path, or the config as an object. Either is validated by the
   * same schema, and errors name the field path (and file:line:col for a file).
   */
  readonly config: string | ConfigInput;
}

export interface HarbormasterStacks {
  readonly registry: RegistryStack;
  readonly automation: AutomationStack;
}

/**
 * cdk-nag on some stacks only: a user's own stacks in the same app are not Harbormaster's to judge.
 * The packs walk each stack's tree (NagPack.validateScope) instead of the whole app.
 */
class ScopedNagChecks implements IPolicyValidationPluginBeta1 {
  readonly name: string;
  /** Violations found at the last synth, for the synth summary. */
  violationCount = 0;

  constructor(
    private readonly pack: NagPack,
    private readonly stacks: () => readonly Stack[],
  ) {
    this.name = pack.name;
  }

  validate(_context: IPolicyValidationContext): PolicyValidationPluginReportBeta1 {
    const violations = this.stacks().flatMap((stack) => this.pack.validateScope(stack).violations);
    this.violationCount = violations.length;
    return {
      success: violations.length === 0,
      violations: violations as PolicyValidationPluginReportBeta1['violations'],
    };
  }
}

/** Configs already validated (by infra/app.ts's loadConfig): not parsed twice. */
const VALIDATED = new WeakSet<object>();

/**
 * Every Harbormaster stack from one config, inside any CDK app:
 * `new Harbormaster(app, 'Harbormaster', { config: 'harbormaster.config.yaml' })`. The stacks are created in
 * the app (or stage) with ids `<id>Registry`, `<id>Automation` and the per-region replica and template stacks,
 * exactly as this repository's own app (infra/app.ts) does; cdk-nag (AwsSolutions, Serverless) checks them
 * and nothing else.
 */
export class Harbormaster extends Construct {
  /** The validated config the stacks were built from. */
  public readonly config: HarbormasterConfig;
  public readonly registry: RegistryStack;
  public readonly automation: AutomationStack;
  /** One stack per destination account and region outside the source account (`HarbormasterDestination-<account>-<region>`). */
  public readonly destinations: readonly HarbormasterDestinationStack[];
  /** Every stack this construct created (registry, automation, replicas, replication templates, destinations). */
  public readonly stacks: readonly Stack[];
  private readonly nagChecks: readonly ScopedNagChecks[];

  constructor(scope: Construct, id: string, props: HarbormasterProps) {
    super(scope, id);
    const config =
      typeof props.config === 'string'
        ? loadConfig(props.config)
        : VALIDATED.has(props.config)
          ? (props.config as HarbormasterConfig)
          : parseConfig(props.config);
    this.config = config;
    // Stacks belong to a stage (the app), not to this construct: ids and stack names stay as they were.
    const stage = Stage.of(this) ?? (scope.node.root as App);
    const env: Environment = { region: config.env.region, account: config.env.account };
    this.registry = new RegistryStack(stage, `${id}Registry`, {
      env,
      config,
      description: 'Harbormaster: governed ECR repositories, scanning, pull-through cache and replication',
    });
    // Native replicas follow the creation templates of their own region: put them there too.
    const templates = replicationTemplateStacksFor(stage as App, config);
    this.automation = new AutomationStack(stage, `${id}Automation`, {
      env,
      config,
      description: 'Harbormaster: push and scan automation, alerts, audit trail and gated replication',
    });
    // Gated replication copies into repositories that must already exist with the source's settings.
    // Deploy them before the automation that copies into them.
    const replicas = replicaStacksFor(stage as App, config);
    for (const stack of replicas) this.automation.addStackDependency(stack);
    // Other accounts' share (registry policy, gated repositories, templates): deployed with their credentials.
    this.destinations = destinationStacksFor(stage as App, config, {
      replicatorRoleName: this.automation.replicator?.roleName,
    });
    this.stacks = [this.registry, ...templates, this.automation, ...replicas, ...this.destinations];
    // Rules run at every synth; acknowledgements sit next to the resources they excuse.
    this.nagChecks = [new AwsSolutionsChecks(), new ServerlessChecks()].map(
      (pack) => new ScopedNagChecks(pack, () => this.stacks),
    );
    Validations.of(stage).addPlugins(...this.nagChecks);
  }

  /** cdk-nag violations found by the last synth (0 when it passed). */
  get nagViolations(): number {
    return this.nagChecks.reduce((sum, check) => sum + check.violationCount, 0);
  }
}

/** This repository's app: the Harbormaster construct with id "Harbormaster" (stacks HarbormasterRegistry, ...). */
export function buildHarbormaster(app: App, config: HarbormasterConfig): HarbormasterStacks {
  VALIDATED.add(config);
  const harbormaster = new Harbormaster(app, 'Harbormaster', { config: config as ConfigInput });
  return { registry: harbormaster.registry, automation: harbormaster.automation };
}
