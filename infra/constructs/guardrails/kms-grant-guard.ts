import type { IAspect } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IConstruct } from 'constructs';

/** The statement id, so a key never gets the statement twice. */
export const GRANTS_FOR_AWS_RESOURCES_SID = 'DenyGrantsExceptForAwsResources';

/**
 * CT.KMS.PR.3: only AWS services (DynamoDB, SNS, ECR, ... acting for a resource) may create grants on the key.
 * A person or role holding kms:CreateGrant could otherwise hand the key to any principal.
 */
export function grantsForAwsResourcesOnly(): PolicyStatement {
  return new PolicyStatement({
    sid: GRANTS_FOR_AWS_RESOURCES_SID,
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}

/**
 * Adds the CT.KMS.PR.3 statement to every customer managed key of a stack, whichever construct created it
 * (table, topic, logs and alarm keys), so a key added later cannot miss it.
 */
export class KmsGrantGuard implements IAspect {
  private readonly done = new WeakSet<Key>();

  public visit(node: IConstruct): void {
    if (!(node instanceof Key) || this.done.has(node)) return;
    this.done.add(node);
    node.addToResourcePolicy(grantsForAwsResourcesOnly());
  }
}
