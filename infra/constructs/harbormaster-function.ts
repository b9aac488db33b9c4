import { AssetHashType, DockerImage, Duration, Validations } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  type FunctionOptions,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { functionEntryPath, packageRoot, prebuiltBundlePath, writeFunctionAsset } from '../function-bundle';
import { logsKeyOf } from './guardrails/logs-key';

/** What Lambda needs to attach a function to VPC subnets (the actions of AWSLambdaVPCAccessExecutionRole). */
export const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

export interface HarbormasterFunctionProps extends Omit<FunctionOptions, 'architecture'> {
  /** Folder name under functions/, e.g. "image-events"; the entry is functions/<name>/index.ts. */
  readonly functionDir: string;
  /** The validated config; the part functions read (runtimeConfig) is written beside the bundle in its asset, never an environment variable. */
  readonly config: HarbormasterConfig;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
}

/**
 * A Lambda function built the Harbormaster way: Node.js 24 (the newest Lambda runtime) on arm64, esbuild-minified
 * with the AWS SDK bundled (so the bundle holds exactly the clients it imports), the runtime config in
 * harbormaster-config.json beside the bundle (infra/function-bundle.ts: bundled from source in this repository,
 * the prebuilt bundle in the npm package), JSON logs into a log group with the config's retention (`logs.retentionDays`, default 365) encrypted
 * with the stack's logs key (`logs.encryption`, default KMS), and in the config's VPC subnets when `network` is set.
 */
export class HarbormasterFunction extends LambdaFunction {
  constructor(scope: Construct, id: string, props: HarbormasterFunctionProps) {
    const { functionDir, config, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      // The schema accepts only CloudWatch's own retention values, which are RetentionDays' values.
      retention: config.logs.retentionDays as RetentionDays,
      encryptionKey: config.logs.encryption === 'KMS' ? logsKeyOf(scope) : undefined,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      memorySize: 256,
      timeout: Duration.seconds(30),
      ...rest,
      code: functionCode(functionDir, config),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
    });
    if (config.network) this.attachToNetwork(config.network);
  }

  /** Puts the function in the config's subnets and security groups (ids, no lookup: synth stays offline). */
  private attachToNetwork(network: NonNullable<HarbormasterConfig['network']>): void {
    (this.node.defaultChild as CfnFunction).vpcConfig = {
      subnetIds: [...network.subnetIds],
      securityGroupIds: [...network.securityGroupIds],
    };
    const policy = new Policy(this, 'VpcAccess', {
      statements: [
        new PolicyStatement({ effect: Effect.ALLOW, actions: [...VPC_ACCESS_ACTIONS], resources: ['*'] }),
      ],
      roles: [this.role!],
    });
    // Lambda checks the ENI permissions when it creates the function.
    this.node.addDependency(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda creates and deletes the network interfaces of a VPC function itself: these EC2 actions support no resource-level scoping (the AWSLambdaVPCAccessExecutionRole actions, without its managed policy).',
    });
  }
}

/**
 * The function's asset, written by local bundling (no Docker): the bundle and its config file. The asset hash
 * is the output's, so a config change alone gives a new asset, and `aws:cdk:bundling-stacks` still skips it.
 */
function functionCode(functionDir: string, config: HarbormasterConfig): Code {
  const root = packageRoot();
  const source = functionEntryPath(functionDir, root);
  const sourceDir = existsSync(source)
    ? path.dirname(source)
    : path.dirname(prebuiltBundlePath(functionDir, root));
  return Code.fromAsset(sourceDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the type, never pulled: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          writeFunctionAsset(functionDir, config, outputDir);
          return true;
        },
      },
    },
  });
}
