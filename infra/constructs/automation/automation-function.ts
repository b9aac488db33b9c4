import { Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../../shared/observability/metric-names';
import { HarbormasterFunction, type HarbormasterFunctionProps } from '../harbormaster-function';

export interface AutomationFunctionProps extends Omit<HarbormasterFunctionProps, 'role' | 'tracing'> {
  /**
   * Powertools service name: the `service` dimension of every metric and log line.
   * @default the function folder name (`functionDir`)
   */
  readonly serviceName?: string;
}

/**
 * A HarbormasterFunction for the automation: its own role holding only what the function is granted
 * (log writes to its own log group, no AWS managed policy), X-Ray active tracing, and the Powertools
 * service name and metrics namespace in its environment.
 */
export class AutomationFunction extends HarbormasterFunction {
  /** The Powertools service name (metric dimension `service`), for dashboards and alarms. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: AutomationFunctionProps) {
    const { serviceName = props.functionDir, environment, ...rest } = props;
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Harbormaster ${serviceName} function`,
    });
    super(scope, id, {
      ...rest,
      role,
      tracing: Tracing.ACTIVE,
      environment: {
        ...environment,
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.serviceName = serviceName;
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): writes to this function's group only.
    this.logGroup.grantWrite(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
  }
}
