import { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** A Harbormaster function as the dashboard and alarms see it. */
export interface MonitoredFunction {
  /** Short name used in widget legends and alarm descriptions, e.g. "scan-events". */
  readonly name: string;
  readonly function: IFunction;
  /**
   * The `service` dimension of the function's Harbormaster metrics (its POWERTOOLS_SERVICE_NAME).
   * @default name
   */
  readonly serviceName?: string;
}

/** The service dimension a monitored function's metrics carry. */
export function serviceNameOf(monitored: MonitoredFunction): string {
  return monitored.serviceName ?? monitored.name;
}

/** Rejects what would make an empty or ambiguous dashboard or alarm set, at synth. */
export function validateMonitoredFunctions(functions: readonly MonitoredFunction[], owner: string): void {
  if (functions.length === 0) throw new Error(`${owner}: expected at least one function in props.functions`);
  const seen = new Set<string>();
  for (const f of functions) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(f.name)) {
      throw new Error(
        `${owner}: functions[].name "${f.name}" is expected to be letters, digits, ".", "_" or "-"`,
      );
    }
    if (seen.has(f.name))
      throw new Error(`${owner}: functions[].name "${f.name}" appears twice; names must be unique`);
    seen.add(f.name);
  }
}

/**
 * A readable, unique label per queue: its construct path inside the stack (e.g. "ImageEvents/DeadLetterQueue"),
 * since pipelines typically each name their queue "DeadLetterQueue".
 */
export function queueLabels(queues: readonly IQueue[]): string[] {
  const labels = queues.map((q) => {
    const stackPath = Stack.of(q).node.path;
    const path = q.node.path.startsWith(`${stackPath}/`)
      ? q.node.path.slice(stackPath.length + 1)
      : q.node.path;
    return path;
  });
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label}#${n}`;
  });
}

/** A construct id from a label: letters and digits only. */
export function idFromLabel(label: string): string {
  return label.replace(/[^A-Za-z0-9]/g, '');
}
