import { CfnSigningConfiguration } from 'aws-cdk-lib/aws-ecr';
import { CfnProfilePermission } from 'aws-cdk-lib/aws-signer';
import { Construct } from 'constructs';
import type { RepositoryConfig, SigningConfig } from '../../../shared/config/schema';

export interface SigningConfigurationProps {
  /** The config's `signing.rules` (at most 10; checked at synth by shared/config/checks/signing.ts). */
  readonly rules: SigningConfig['rules'];
  /** The managed repositories: their push principals are the identities ECR signs with. */
  readonly repositories: readonly RepositoryConfig[];
}

/** ECR's WILDCARD_MATCH: `*` matches any sequence of characters, everything else literally. */
export function matchesRepositoryFilter(filter: string, repository: string): boolean {
  const pattern = filter.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${pattern.join('.*')}$`).test(repository);
}

/** `arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME` -> NAME. */
function profileName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * ECR managed signing (S1): the registry's signing configuration (one per registry: this construct owns it)
 * signs each pushed image with AWS Signer using the identity of the pusher. Each rule's signing profile
 * therefore grants `signer:SignPayload` to the push principals of the managed repositories the rule matches,
 * with a profile permission (the profile's resource policy; the principals' own policies are not ours).
 */
export class SigningConfiguration extends Construct {
  readonly resource: CfnSigningConfiguration;

  constructor(scope: Construct, id: string, props: SigningConfigurationProps) {
    super(scope, id);
    this.resource = new CfnSigningConfiguration(this, 'Resource', {
      rules: props.rules.map((rule) => ({
        signingProfileArn: rule.signingProfileArn,
        ...(rule.repositoryFilters
          ? {
              repositoryFilters: rule.repositoryFilters.map((filter) => ({
                filter,
                filterType: 'WILDCARD_MATCH',
              })),
            }
          : {}),
      })),
    });
    const granted = new Set<string>();
    props.rules.forEach((rule, i) => {
      const matched = props.repositories.filter(
        (repository) =>
          !rule.repositoryFilters ||
          rule.repositoryFilters.some((f) => matchesRepositoryFilter(f, repository.name)),
      );
      const principals = [...new Set(matched.flatMap((repository) => repository.access.push))].sort();
      for (const [j, principal] of principals.entries()) {
        const key = `${rule.signingProfileArn} ${principal}`;
        if (granted.has(key)) continue;
        granted.add(key);
        new CfnProfilePermission(this, `SignPayload${i}x${j}`, {
          profileName: profileName(rule.signingProfileArn),
          action: 'signer:SignPayload',
          principal,
          statementId: `HarbormasterSignOnPush${i}x${j}`,
        });
      }
    });
  }
}
