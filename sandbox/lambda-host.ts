/**
 * Runs inside a child process, one per function worker, like one Lambda execution environment: loads the
 * synthesized bundle on the first invocation (its module scope is the cold start), then handles one
 * invocation at a time sent by the parent over IPC. Its environment is the one the template gives the
 * function, plus the sandbox's endpoint and test credentials (set by the parent).
 */
import path from 'node:path';

interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly event: unknown;
  /** The invocation's timeout; the deadline is counted on this process's monotonic clock from receipt. */
  readonly timeoutMs: number;
}

const assetDir = process.env.HARBORMASTER_SANDBOX_ASSET_DIR as string;
const [file, exportName] = (process.env.HARBORMASTER_SANDBOX_HANDLER ?? 'index.handler').split(
  /\.(?=[^.]+$)/,
);
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Handler | undefined;
let requests = 0;

async function invoke(message: InvokeMessage): Promise<unknown> {
  const deadline = performance.now() + message.timeoutMs;
  if (!handler) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(assetDir, `${file}.js`)) as Record<string, unknown>;
    const found = mod[exportName];
    if (typeof found !== 'function')
      throw new Error(`${file}.${exportName} is not a function in ${assetDir}`);
    handler = found as Handler;
  }
  requests += 1;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: process.env.HARBORMASTER_SANDBOX_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: `sandbox-${process.pid}-${requests}`,
    logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    logStreamName: `sandbox/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadline - performance.now())),
  };
  return handler(message.event, context);
}

process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  invoke(message).then(
    (value) => process.send?.({ type: 'result', id: message.id, ok: true, value: value ?? null }),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      process.send?.({
        type: 'result',
        id: message.id,
        ok: false,
        error: { name: err.name, message: err.message },
      });
    },
  );
});
process.send?.({ type: 'ready' });
