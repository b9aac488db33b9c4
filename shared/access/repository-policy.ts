import type { AccessConfig } from '../config/schema';

/**
 * Repository policies (R7) built from the roles in the config: push principals (CI) may push and
 * pull, pull principals (runtimes, other accounts) may pull, admin principals may delete. A `*`
 * principal is never produced: every principal is a role/user ARN or an account id, and an account
 * id becomes that account's root ARN (the account then delegates with its own IAM policies).
 *
 * ecr:GetAuthorizationToken is registry-wide and cannot be granted here: each principal also needs
 * it in its own identity policy.
 */

/** Read an image: what `docker pull` needs on the repository. */
export const PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
] as const;

/** Write an image: what `docker push` needs on top of the pull actions. */
export const PUSH_ACTIONS = [
  ...PULL_ACTIONS,
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

/** Delete images (and the repository itself), after finding what to delete. */
export const ADMIN_ACTIONS = [
  'ecr:BatchDeleteImage',
  'ecr:DeleteRepository',
  'ecr:DescribeImages',
  'ecr:ListImages',
] as const;

export interface PolicyStatementJson {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal: { readonly AWS: string[] };
  readonly Action: string[];
}

export interface RepositoryPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatementJson[];
}

/** An account id becomes `arn:<partition>:iam::<id>:root`; an ARN stays as written. */
export function principalArn(principal: string, partition = 'aws'): string {
  if (principal.trim() === '*' || principal.includes('*')) {
    throw new Error(`a wildcard principal is never allowed in a repository policy, got "${principal}"`);
  }
  return /^\d{12}$/.test(principal) ? `arn:${partition}:iam::${principal}:root` : principal;
}

function statement(
  sid: string,
  principals: readonly string[],
  actions: readonly string[],
  partition: string,
) {
  const arns = [...new Set(principals.map((p) => principalArn(p, partition)))].sort();
  return { Sid: sid, Effect: 'Allow' as const, Principal: { AWS: arns }, Action: [...actions] };
}

/**
 * The repository policy for these principals, or undefined when none is configured (the account's
 * own IAM policies then decide alone).
 */
export function buildRepositoryPolicy(
  access: Partial<AccessConfig> | undefined,
  partition = 'aws',
): RepositoryPolicyDocument | undefined {
  const push = access?.push ?? [];
  const pull = access?.pull ?? [];
  const admin = access?.admin ?? [];
  const statements: PolicyStatementJson[] = [];
  if (push.length > 0) statements.push(statement('HarbormasterPush', push, PUSH_ACTIONS, partition));
  if (pull.length > 0) statements.push(statement('HarbormasterPull', pull, PULL_ACTIONS, partition));
  if (admin.length > 0) statements.push(statement('HarbormasterAdmin', admin, ADMIN_ACTIONS, partition));
  return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** The policy as the JSON text ECR and creation templates take, or undefined when there is none. */
export function repositoryPolicyText(
  access: Partial<AccessConfig> | undefined,
  partition = 'aws',
): string | undefined {
  const policy = buildRepositoryPolicy(access, partition);
  return policy ? JSON.stringify(policy) : undefined;
}
