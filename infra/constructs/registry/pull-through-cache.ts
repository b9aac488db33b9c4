import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnPullThroughCacheRule } from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import {
  PULL_THROUGH_UPSTREAMS,
  type PullThroughCacheRuleConfig,
  type PullThroughUpstream,
} from '../../../shared/config/schema';

export interface PullThroughCacheProps {
  /** The config's `pullThroughCache` rules. */
  readonly rules: readonly PullThroughCacheRuleConfig[];
}

/** CloudFormation's names for the upstream registries. */
const UPSTREAM_REGISTRY: Record<PullThroughUpstream, string> = {
  'ecr-public': 'ecr-public',
  quay: 'quay',
  k8s: 'k8s',
  'docker-hub': 'docker-hub',
  ghcr: 'github-container-registry',
  gitlab: 'gitlab-container-registry',
};

/**
 * Pull-through cache rules (R5): `docker pull <registry>/<prefix>/<image>` fetches from the upstream
 * once and serves from ECR after. Upstreams that need credentials read them from a Secrets Manager
 * secret named ecr-pullthroughcache/..., which the platform team creates (never this app: the
 * credentials must not pass through a template). ECR checks the secret when it creates the rule, so it must
 * exist before the first deploy: synth warns for each rule that needs one.
 */
export class PullThroughCache extends Construct {
  constructor(scope: Construct, id: string, props: PullThroughCacheProps) {
    super(scope, id);
    const stack = Stack.of(this);
    for (const rule of props.rules) {
      const cacheRule = new CfnPullThroughCacheRule(this, rule.prefix, {
        ecrRepositoryPrefix: rule.prefix,
        upstreamRegistry: UPSTREAM_REGISTRY[rule.upstream],
        upstreamRegistryUrl: PULL_THROUGH_UPSTREAMS[rule.upstream].url,
        // A partial ARN (no random suffix): ECR resolves it by name, so the secret can be rotated or recreated.
        credentialArn: rule.credentialSecret
          ? stack.formatArn({
              service: 'secretsmanager',
              resource: 'secret',
              resourceName: rule.credentialSecret,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            })
          : undefined,
      });
      if (rule.credentialSecret) {
        Annotations.of(cacheRule).addWarningV2(
          'harbormaster:pull-through-secret',
          `Pull-through rule ${rule.prefix} (${rule.upstream}) reads the Secrets Manager secret ${rule.credentialSecret} ` +
            `({"username","accessToken"}) in ${stack.region}: create it before the first deploy, or ECR refuses the rule ` +
            `and the stack rolls back (aws secretsmanager create-secret --name ${rule.credentialSecret} --secret-string file://creds.json).`,
        );
      }
    }
  }
}
