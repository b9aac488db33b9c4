import type { HarbormasterConfig, RepositoryConfig } from '../config/schema';

/**
 * The part of the config the functions act on: what each bundle has compiled in. Registry settings
 * (lifecycle, access, encryption, creation templates, pull-through, native replication, scanning
 * filters, alert emails) are applied by CloudFormation at deploy time and never read at runtime, so
 * they stay out of the bundles (DESIGN: "the policy each function needs, compiled into its bundle").
 * Runtime code is typed against these shapes, so reading a field that is not here fails to compile.
 */
export type RuntimeRepositoryConfig = Pick<
  RepositoryConfig,
  'name' | 'team' | 'releaseTags' | 'autoTag' | 'scan'
>;

export interface RuntimeConfig {
  readonly env: HarbormasterConfig['env'];
  readonly repositories: readonly RuntimeRepositoryConfig[];
  readonly notifications: HarbormasterConfig['notifications'];
  readonly audit: HarbormasterConfig['audit'];
  readonly gatedReplication: HarbormasterConfig['gatedReplication'];
}

/** Projects a validated config onto what the functions read. */
export function runtimeConfig(config: HarbormasterConfig): RuntimeConfig {
  return {
    env: config.env,
    repositories: config.repositories.map(({ name, team, releaseTags, autoTag, scan }) => ({
      name,
      team,
      releaseTags,
      autoTag,
      scan,
    })),
    notifications: config.notifications,
    audit: config.audit,
    gatedReplication: config.gatedReplication,
  };
}

/**
 * The esbuild `define` that compiles the runtime config into a bundle (read by bundledConfig()).
 * The stacks and `npm run bench` both bundle with it, so the bench measures what deploys.
 */
export function configDefine(config: HarbormasterConfig): Record<string, string> {
  return { __HARBORMASTER_CONFIG__: JSON.stringify(JSON.stringify(runtimeConfig(config))) };
}
