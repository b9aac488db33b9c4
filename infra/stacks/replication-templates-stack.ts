import { Stack, type App, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CreationTemplateConfig, HarbormasterConfig } from '../../shared/config/schema';
import { CreationTemplates } from '../constructs/registry/creation-templates';

export interface ReplicationTemplatesStackProps extends StackProps {
  /** The REPLICATION creation templates of the config, as they apply in this stack's region. */
  readonly templates: readonly CreationTemplateConfig[];
}

/**
 * ECR applies the creation templates of the registry where it creates a repository: a replica made by
 * native replication in eu-central-1 follows eu-central-1's templates, not the source region's. This
 * stack puts the config's REPLICATION templates into one destination region of the source account, so
 * replicas there inherit lifecycle, mutability, encryption, policy and tags (R6).
 */
export class ReplicationTemplatesStack extends Stack {
  constructor(scope: Construct, id: string, props: ReplicationTemplatesStackProps) {
    const { templates, ...stackProps } = props;
    super(scope, id, stackProps);
    new CreationTemplates(this, 'CreationTemplates', { templates });
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
 * replication destination region, when the config has REPLICATION templates. A cross-account
 * destination's templates belong to that account.
 */
export function replicationTemplateStacksFor(
  app: App,
  config: HarbormasterConfig,
): ReplicationTemplatesStack[] {
  const templates = config.creationTemplates.filter((t) => t.appliedFor.includes('REPLICATION'));
  if (templates.length === 0) return [];
  return sameAccountReplicationRegions(config).map(
    (region) =>
      new ReplicationTemplatesStack(app, `HarbormasterReplicationTemplates-${region}`, {
        env: { region, account: config.env.account },
        templates: templates.map((t) => replicationTemplateFor(t, region)),
        description: `Harbormaster: creation templates for native replicas in ${region}`,
      }),
  );
}
