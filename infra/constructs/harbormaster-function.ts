import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as path from 'node:path';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { configDefine } from '../../shared/runtime/runtime-config';

export interface HarbormasterFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'bundling' | 'handler'
> {
  /** Folder name under functions/, e.g. "image-events"; the entry is functions/<name>/index.ts. */
  readonly functionDir: string;
  /** The validated config; the part functions read (runtimeConfig) is compiled into the bundle, never an environment variable. */
  readonly config: HarbormasterConfig;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
}

const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * A Lambda function built the Harbormaster way: Node.js 24 (the newest Lambda runtime) on arm64, esbuild-minified
 * with the AWS SDK bundled (so the bundle holds exactly the clients it imports), the config
 * compiled in, JSON logs into a log group with bounded retention.
 */
export class HarbormasterFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: HarbormasterFunctionProps) {
    const { functionDir, config, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      memorySize: 256,
      timeout: Duration.seconds(30),
      ...rest,
      entry: path.join(REPO_ROOT, 'functions', functionDir, 'index.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      loggingFormat: LoggingFormat.JSON,
      logGroup,
      bundling: {
        minify: true,
        sourceMap: false,
        format: OutputFormat.CJS,
        target: 'node24',
        // Bundle the SDK too: a pinned, tree-shaken client is smaller to load than the runtime's full copy.
        externalModules: [],
        define: configDefine(config),
        forceDockerBundling: false,
      },
    });
  }
}
