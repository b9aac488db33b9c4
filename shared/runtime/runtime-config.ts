import type { HarbormasterConfig, RepositoryConfig, SigningConfig } from '../config/schema';

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
  /**
   * The trusted signers (`signing.signers`, PEM text) that a repository's `scan.trustedSigners` names: the
   * scan function compiles them once and verifies signatures offline (rules stay out: ECR applies them).
   * Optional so a full config still types as a runtime config; absent means none.
   */
  readonly signers?: Readonly<Record<string, SigningConfig['signers'][string]>>;
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
    signers: trustedSigners(config),
  };
}

/** Only the signers some repository trusts: a signer nobody names has no business in a bundle. */
function trustedSigners(config: HarbormasterConfig): RuntimeConfig['signers'] {
  const named = new Set(config.repositories.flatMap((r) => r.scan.trustedSigners ?? []));
  const all = config.signing?.signers ?? {};
  return Object.fromEntries(Object.entries(all).filter(([name]) => named.has(name)));
}

/**
 * The esbuild `define` that compiles the runtime config into a bundle (read by bundledConfig()).
 * The stacks and `npm run bench` both bundle with it, so the bench measures what deploys.
 */
export function configDefine(config: HarbormasterConfig): Record<string, string> {
  return { __HARBORMASTER_CONFIG__: JSON.stringify(JSON.stringify(runtimeConfig(config))) };
}
