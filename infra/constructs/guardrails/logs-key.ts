import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

const LOGS_KEY_ID = 'HarbormasterLogsKey';

/**
 * The one customer managed key of a stack that encrypts its function log groups (CT.CLOUDWATCH.PR.3, config
 * `logs.encryption: KMS`). CloudWatch Logs may use it only for this account's log groups in this region.
 * RETAIN (the Key default): deleting it would make the retained log events unreadable.
 */
export function logsKeyOf(scope: Construct): Key {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(LOGS_KEY_ID);
  if (existing) return existing as Key;
  const key = new Key(stack, LOGS_KEY_ID, {
    description: 'Harbormaster: encrypts the log groups of the Harbormaster functions',
    enableKeyRotation: true,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowCloudWatchLogsForThisAccountsLogGroups',
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: [
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
        'kms:GenerateDataKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:DescribeKey',
      ],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
  return key;
}
