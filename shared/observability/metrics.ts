import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE } from './metric-names';

/**
 * The recommended way for a Harbormaster function to emit metrics: Powertools Metrics (embedded metric
 * format, no PutMetricData call) in the Harbormaster namespace with the `service` dimension the dashboard
 * and alarms read. Create it once at module scope; flush with `metrics.publishStoredMetrics()` at the end of
 * the invocation (or wrap the handler with Powertools' `logMetrics` middleware).
 *
 *   const metrics = createMetrics();
 *   recordMetric(metrics, 'TagsWritten', tags.length);
 */

export type HarbormasterMetric = (typeof METRIC)[keyof typeof METRIC];
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** The unit of each metric, fixed here so every emitter and the dashboard agree. */
export const METRIC_UNIT: Record<HarbormasterMetric, Unit> = {
  EventsProcessed: MetricUnit.Count,
  EventsIgnored: MetricUnit.Count,
  EventsFailed: MetricUnit.Count,
  AlertsSent: MetricUnit.Count,
  TagsWritten: MetricUnit.Count,
  ImagesQuarantined: MetricUnit.Count,
  ReplicationBytes: MetricUnit.Bytes,
  ReplicationsSucceeded: MetricUnit.Count,
  ReplicationsFailed: MetricUnit.Count,
  ReplicationDuration: MetricUnit.Milliseconds,
};

/** Env var Powertools reads for the service name; the stacks set it per function. */
export const SERVICE_NAME_ENV = 'POWERTOOLS_SERVICE_NAME';

export interface CreateMetricsOptions {
  /** The `service` dimension. @default process.env.POWERTOOLS_SERVICE_NAME (required when omitted) */
  readonly serviceName?: string;
}

/** A Powertools Metrics instance for Harbormaster; fails fast when no service name is configured. */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const serviceName = options.serviceName ?? process.env[SERVICE_NAME_ENV];
  if (!serviceName) {
    // Without it every metric lands under "service_undefined" and the dashboard and alarms see nothing.
    throw new Error(
      `environment variable ${SERVICE_NAME_ENV} is required but not set (the metrics' service dimension)`,
    );
  }
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
}

/** Adds one data point of a Harbormaster metric with its fixed unit. */
export function recordMetric(metrics: Metrics, name: HarbormasterMetric, value = 1): void {
  metrics.addMetric(name, METRIC_UNIT[name], value);
}
