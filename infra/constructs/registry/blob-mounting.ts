import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
  type AwsSdkCall,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import { logsKeyOf } from '../guardrails/logs-key';
import { VPC_ACCESS_ACTIONS } from '../harbormaster-function';

export interface BlobMountingProps {
  /** The validated config: `logs` and `network` shape the custom resource's function like every other one. */
  readonly config: HarbormasterConfig;
}

const setting = (value: 'ENABLED' | 'DISABLED'): AwsSdkCall => ({
  service: 'ECR',
  action: 'PutAccountSetting',
  parameters: { name: 'BLOB_MOUNTING', value },
  physicalResourceId: PhysicalResourceId.of('BLOB_MOUNTING'),
});

/**
 * Turns on ECR blob mounting for this registry (config `blobMounting: true`): a push can mount a layer that
 * another repository of the registry already stores (same encryption) instead of uploading it again.
 * CloudFormation has no resource for ECR account settings, so a custom resource calls PutAccountSetting;
 * deleting the stack (or setting the flag false) turns the setting off again.
 */
export class BlobMounting extends Construct {
  constructor(scope: Construct, id: string, props: BlobMountingProps) {
    super(scope, id);
    const { config } = props;
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Harbormaster: sets the ECR BLOB_MOUNTING account setting',
    });
    const logGroup = new LogGroup(this, 'Logs', {
      retention: config.logs.retentionDays as RetentionDays,
      encryptionKey: config.logs.encryption === 'KMS' ? logsKeyOf(this) : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    new AwsCustomResource(this, 'Resource', {
      onCreate: setting('ENABLED'),
      onUpdate: setting('ENABLED'),
      onDelete: setting('DISABLED'),
      role,
      logGroup,
      installLatestAwsSdk: false,
      memorySize: 256,
      policy: AwsCustomResourcePolicy.fromStatements([
        // Account settings have no ARN: the action takes no resource-level permission.
        new PolicyStatement({ effect: Effect.ALLOW, actions: ['ecr:PutAccountSetting'], resources: ['*'] }),
      ]),
    });
    // AwsCustomResource runs in one singleton provider function per stack, named after this uuid.
    const provider = Stack.of(this).node.findChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (config.network) {
      (provider.node.defaultChild as CfnFunction).vpcConfig = {
        subnetIds: [...config.network.subnetIds],
        securityGroupIds: [...config.network.securityGroupIds],
      };
      role.addToPrincipalPolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions: [...VPC_ACCESS_ACTIONS], resources: ['*'] }),
      );
    }
    provider.node.addDependency(role);
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:PutAccountSetting acts on the registry, which has no ARN' +
        (config.network
          ? '; the EC2 network-interface actions of a VPC function take no resource either.'
          : '.'),
    });
    Validations.of(provider).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'Invoked by CloudFormation only: a failure fails the deployment, which reports it.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'One PutAccountSetting call per deployment; CloudFormation events and the log group show it.',
      },
    );
  }
}
