import { CfnOutput, Stack, type App, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CreationTemplateConfig, HarbormasterConfig } from '../../shared/config/schema';
import { ReplicationForwarder } from '../constructs/automation/replication-forwarder';
import { CreationTemplates } from '../constructs/registry/creation-templates';

export interface ReplicationTemplatesStackProps extends StackProps {
  /** The REPLICATION creation templates of the config, as they apply in this stack's region (may be none). */
  readonly templates: readonly CreationTemplateConfig[];
  /**
   * Where replication results go: the home region and the managed repository names.
   * @default - not forwarded
   */
  readonly forwardResults?: { readonly homeRegion: string; readonly repositoryNames: readonly string[] };
}

/**
 * ECR applies the creation templates of the registry where it creates a repository: a replica made by
 * native replication in eu-central-1 follows eu-central-1's templates, not the source region's. This
 * stack puts the config's REPLICATION templates into one destination region of the source account, so
 * replicas there inherit lifecycle, mutability, encryption, policy and tags (R6). ECR also reports each
 * replication's result there (`ECR Replication Action`): the stack forwards those to the home region's
 * automation, which puts them on the image's timeline and alerts on a FAILED one.
 */
export class ReplicationTemplatesStack extends Stack {
  public readonly forwarder?: ReplicationForwarder;

  constructor(scope: Construct, id: string, props: ReplicationTemplatesStackProps) {
    const { templates, forwardResults, ...stackProps } = props;
    super(scope, id, stackProps);
    if (templates.length > 0) new CreationTemplates(this, 'CreationTemplates', { templates });
    if (forwardResults) {
      this.forwarder = new ReplicationForwarder(this, 'ReplicationResults', forwardResults);
      // No alarm can watch it from home (alarms notify a topic of their own region): operators look it up.
      new CfnOutput(this, 'ReplicationResultsDeadLetterQueueUrl', {
        value: this.forwarder.deadLetterQueue.queueUrl,
      });
    }
  }
}

/** A template as it applies in `region`: REPLICATION only, and a KMS key of another region replaced by aws/ecr there. */
export function replicationTemplateFor(
  template: CreationTemplateConfig,
  region: string,
): CreationTemplateConfig {
  const key = template.encryption.type === 'KMS' ? template.encryption.kmsKeyArn : undefined;
  return {
    ...template,
    appliedFor: ['REPLICATION'],
    encryption: key && key.split(':')[3] !== region ? { type: 'KMS' } : template.encryption,
  };
}

/** Destination regions of native replication in the source account, in config order. */
export function sameAccountReplicationRegions(config: HarbormasterConfig): string[] {
  const regions = (config.replication?.rules ?? []).flatMap((rule) =>
    rule.destinations
      .filter((d) => d.account === undefined || d.account === config.env.account)
      .map((d) => d.region)
      .filter((region) => region !== config.env.region),
  );
  return [...new Set(regions)];
}

/**
 * One ReplicationTemplatesStack (`HarbormasterReplicationTemplates-<region>`) per same-account native
 * replication destination region: its REPLICATION templates (if any) and the forwarding of replication
 * results home. A cross-account destination's templates and events belong to that account (its events
 * would be ignored at home anyway: the account boundary).
 */
export function replicationTemplateStacksFor(
  app: App,
  config: HarbormasterConfig,
): ReplicationTemplatesStack[] {
  const templates = config.creationTemplates.filter((t) => t.appliedFor.includes('REPLICATION'));
  const forwardResults = {
    homeRegion: config.env.region,
    repositoryNames: config.repositories.map((r) => r.name),
  };
  return sameAccountReplicationRegions(config).map(
    (region) =>
      new ReplicationTemplatesStack(app, `HarbormasterReplicationTemplates-${region}`, {
        env: { region, account: config.env.account },
        templates: templates.map((t) => replicationTemplateFor(t, region)),
        forwardResults,
        description: `Harbormaster: creation templates for native replicas in ${region}, replication results to ${config.env.region}`,
      }),
  );
}
