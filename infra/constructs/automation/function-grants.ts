import { Stack, Validations } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * IAM for the automation functions, scoped to the managed repositories and to the actions each function calls.
 * Repository ARNs are built from the name and the stack's region and account: no cross-stack reference.
 */

/**
 * Push automation: read the manifest (BatchGetImage), write tags (PutImage), and list the repository's tags
 * once for the semver cascade and `latest` (ListImages, see shared/registry/ecr-images.ts listTaggedVersions).
 */
export const IMAGE_FUNCTION_ECR_ACTIONS = ['ecr:BatchGetImage', 'ecr:PutImage', 'ecr:ListImages'] as const;
/**
 * Scan automation: findings, an image's current tags (DescribeImages), an index's children and promotion
 * tags (BatchGetImage + PutImage), quarantine untagging (BatchDeleteImage of digest+tag pairs).
 */
export const SCAN_FUNCTION_ECR_ACTIONS = [
  'ecr:DescribeImageScanFindings',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:PutImage',
  'ecr:BatchDeleteImage',
] as const;

/**
 * Signature reads of the scan function (shared/signing/ecr-source.ts, the registry API with an ECR token), on
 * the repositories with `scan.requireSignature` only: manifests, the `.sig` tag and the OCI referrers API
 * (ecr:BatchGetImage: ECR authorizes the referrers API and ListImageReferrers with it), signature blobs
 * (ecr:GetDownloadUrlForLayer), and the image listings a signature lookup may make (ListImages, DescribeImages).
 */
export const SCAN_FUNCTION_SIGNATURE_ECR_ACTIONS = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:ListImages',
  'ecr:DescribeImages',
] as const;

/**
 * The signature reads on `repositoryNames`, and ecr:GetAuthorizationToken (the registry API's token; it has
 * no resource-level permissions). A policy of its own, so its acknowledgement covers this statement only.
 */
export function grantSignatureReads(
  scope: Construct,
  id: string,
  role: IRole,
  repositoryNames: readonly string[],
): Policy {
  const policy = new Policy(scope, id, {
    statements: [
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...SCAN_FUNCTION_SIGNATURE_ECR_ACTIONS],
        resources: repositoryNames.map((name) => repositoryArn(scope, name)),
      }),
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
    ],
    roles: [role],
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken supports no resource-level permissions; the signature reads themselves are scoped to the repositories that require a signature.',
  });
  return policy;
}

export function repositoryArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'ecr', resource: 'repository', resourceName: name });
}

/** Allows `actions` on exactly the named repositories. */
export function grantRepositoryActions(
  grantee: IGrantable,
  scope: Construct,
  actions: readonly string[],
  repositoryNames: readonly string[],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [...actions],
      resources: repositoryNames.map((name) => repositoryArn(scope, name)),
    }),
  );
}

/**
 * With enhanced scanning, ECR answers DescribeImageScanFindings from Amazon Inspector using the caller's
 * credentials, so the caller also needs inspector2:ListFindings. A policy of its own, so its acknowledgement
 * covers this statement only.
 */
export function grantEnhancedScanFindings(scope: Construct, id: string, role: IRole): Policy {
  const policy = new Policy(scope, id, {
    statements: [
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['inspector2:ListFindings'], resources: ['*'] }),
    ],
    roles: [role],
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'inspector2:ListFindings supports no resource-level permissions; ECR needs it to return enhanced scan findings.',
  });
  return policy;
}

/** Allows sending to `queue` (and the KMS actions when it is encrypted with a customer key), nothing else. */
export function grantQueueSend(grantee: IGrantable, queue: IQueue): void {
  const principal = grantee.grantPrincipal;
  principal.addToPrincipalPolicy(
    new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  );
  if (queue.encryptionMasterKey) {
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [queue.encryptionMasterKey.keyArn],
      }),
    );
  }
}
