import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE } from '../../../shared/observability/metric-names';
import { createMetrics, METRIC_UNIT, recordMetric } from '../../../shared/observability/metrics';

describe('createMetrics', () => {
  const saved = process.env.POWERTOOLS_SERVICE_NAME;
  afterEach(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
    else process.env.POWERTOOLS_SERVICE_NAME = saved;
    jest.restoreAllMocks();
  });

  it('fails fast, naming the variable, when no service name is configured', () => {
    // Prepare
    delete process.env.POWERTOOLS_SERVICE_NAME;

    // Act / Assess
    expect(() => createMetrics()).toThrow(
      'environment variable POWERTOOLS_SERVICE_NAME is required but not set',
    );
  });

  it('emits EMF in the Harbormaster namespace with the service dimension and the fixed unit', () => {
    // Prepare
    process.env.POWERTOOLS_SERVICE_NAME = 'scan-events';
    const lines: string[] = [];
    // Powertools writes EMF through its own Console bound to stdout.
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l.startsWith('{')),
      );
      return true;
    });
    const metrics = createMetrics();

    // Act
    recordMetric(metrics, 'ReplicationBytes', 2048);
    recordMetric(metrics, 'AlertsSent');
    metrics.publishStoredMetrics();

    // Assess
    const emf = lines.map((l) => JSON.parse(l)).find((o) => o._aws);
    expect(emf).toBeDefined();
    const directive = emf._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive.Dimensions).toEqual([['service']]);
    expect(emf.service).toBe('scan-events');
    expect(directive.Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'ReplicationBytes', Unit: 'Bytes' },
        { Name: 'AlertsSent', Unit: 'Count' },
      ]),
    );
    expect(emf.ReplicationBytes).toBe(2048);
    expect(emf.AlertsSent).toBe(1);
  });

  it('has a unit for every metric name the dashboard and alarms read', () => {
    // Assess
    expect(Object.keys(METRIC_UNIT).sort()).toEqual(Object.values(METRIC).sort());
    expect(METRIC_UNIT.ReplicationDuration).toBe(MetricUnit.Milliseconds);
  });
});
