import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  PeriodOverride,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../../../shared/observability/metric-names';
import {
  type MonitoredFunction,
  queueLabels,
  serviceNameOf,
  validateMonitoredFunctions,
} from './monitored-function';

export interface HarbormasterDashboardProps {
  /** The automation functions: one line each on the event, error, duration and throttle graphs. */
  readonly functions: readonly MonitoredFunction[];
  /** Every dead-letter queue; legends use each queue's construct path in the stack. */
  readonly deadLetterQueues: readonly IQueue[];
  /**
   * The `service` dimension of the replicator's metrics (ReplicationBytes, ReplicationsFailed, ...).
   * @default 'replicator'
   */
  readonly replicationServiceName?: string;
  /**
   * The dashboard's name. Leave it unset so CloudFormation generates one (no hard-coded physical names).
   * @default a generated name
   */
  readonly dashboardName?: string;
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * The Harbormaster CloudWatch dashboard: what the automation did (events, alerts, tags, replication) next to
 * how healthy it is (dead letters, errors, duration, throttles). Business metrics come from the functions'
 * Powertools metrics (namespace Harbormaster, dimension `service`); the rest are Lambda and SQS metrics.
 */
export class HarbormasterDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: HarbormasterDashboardProps) {
    super(scope, id);
    validateMonitoredFunctions(props.functions, 'HarbormasterDashboard');
    const period = props.period ?? Duration.minutes(5);
    const replicator = props.replicationServiceName ?? 'replicator';

    const harbormaster = (
      metricName: string,
      service: string,
      statistic: string = Stats.SUM,
      label?: string,
    ): Metric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period,
        label: label ?? service,
      });
    const perFunction = (metricName: string): IMetric[] =>
      props.functions.map((f) => harbormaster(metricName, serviceNameOf(f), Stats.SUM, f.name));
    const graph = (title: string, left: IMetric[], right: IMetric[] = []): GraphWidget =>
      new GraphWidget({ title, left, right, width: WIDTH, height: HEIGHT, period });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(24),
      periodOverride: PeriodOverride.AUTO,
    });

    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# Harbormaster\nEvents, alerts, tags and replication from the automation functions; dead letters, errors, ' +
          'duration and throttles below. Alarms go to the operations topic.',
        width: 3 * WIDTH,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Events processed', perFunction(METRIC.EventsProcessed)),
      graph('Events failed', perFunction(METRIC.EventsFailed)),
      graph('Events ignored (not managed, duplicates)', perFunction(METRIC.EventsIgnored)),
    );
    this.dashboard.addWidgets(
      graph('Alerts sent', perFunction(METRIC.AlertsSent)),
      graph('Tags written', perFunction(METRIC.TagsWritten)),
      graph('Images quarantined', perFunction(METRIC.ImagesQuarantined)),
    );
    this.dashboard.addWidgets(
      graph('Replication bytes', [
        harbormaster(METRIC.ReplicationBytes, replicator, Stats.SUM, 'bytes copied'),
      ]),
      graph('Replications', [
        harbormaster(METRIC.ReplicationsSucceeded, replicator, Stats.SUM, 'succeeded'),
        harbormaster(METRIC.ReplicationsFailed, replicator, Stats.SUM, 'failed'),
      ]),
      graph('Replication duration', [
        harbormaster(METRIC.ReplicationDuration, replicator, Stats.p(50), 'p50'),
        harbormaster(METRIC.ReplicationDuration, replicator, Stats.p(99), 'p99'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Dead-letter queue depth (messages visible)',
        queueLabels(props.deadLetterQueues).map((label, i) =>
          props.deadLetterQueues[i].metricApproximateNumberOfMessagesVisible({
            statistic: Stats.MAXIMUM,
            period,
            label,
          }),
        ),
      ),
      graph(
        'Function errors',
        props.functions.map((f) => f.function.metricErrors({ statistic: Stats.SUM, period, label: f.name })),
      ),
      graph(
        'Function throttles',
        props.functions.map((f) =>
          f.function.metricThrottles({ statistic: Stats.SUM, period, label: f.name }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Function duration p99 (ms)',
        props.functions.map((f) =>
          f.function.metricDuration({ statistic: Stats.p(99), period, label: f.name }),
        ),
      ),
    );
  }
}
