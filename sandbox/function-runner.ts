import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { SANDBOX_CREDENTIALS } from './aws';
import { stopChild } from './processes';
import type { FunctionResource } from './provision';

/** What one invocation returned: the handler's value, or the error Lambda would report. */
export type InvokeResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

export interface RunnerEnvironment {
  /** The AWS endpoint the functions' SDK clients use (AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** PEM file of the sandbox CA (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** Hosts whose TLS connections go to local stand-ins: host -> port. */
  readonly hosts: Record<string, number>;
  /** Folder of the functions' log files. */
  readonly logDir: string;
}

const HOST = path.join(__dirname, 'lambda-host.ts');
const SHIM = path.join(__dirname, 'network-shim.ts');
const TSX = require.resolve('tsx/cjs');

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  pending?: { id: number; resolve: (result: InvokeResult) => void };
}

/**
 * The execution environments of one function: up to `concurrency` child processes, each handling one
 * invocation at a time (as Lambda does). A timed-out or crashed environment is discarded, the next
 * invocation starts a fresh one (a cold start), as in Lambda.
 */
export class FunctionPool {
  private readonly workers: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;
  private readonly logFd: number;
  invocations = 0;
  errors = 0;
  coldStarts = 0;

  constructor(
    readonly fn: FunctionResource,
    private readonly env: RunnerEnvironment,
    readonly concurrency: number,
  ) {
    this.logFd = openSync(path.join(env.logDir, `${fn.logicalId}.log`), 'a');
  }

  get inFlight(): number {
    return this.workers.filter((w) => w.busy).length;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const worker = await this.acquire();
    this.invocations += 1;
    try {
      await worker.ready;
      const result = await this.send(worker, event);
      if (!result.ok) this.errors += 1;
      return result;
    } finally {
      worker.busy = false;
      this.waiting.shift()?.();
    }
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      const idle = this.workers.find(
        (w) => !w.busy && w.child.exitCode === null && w.child.signalCode === null,
      );
      if (idle) {
        idle.busy = true;
        return idle;
      }
      // Drop dead environments, then start one when there is room.
      for (let i = this.workers.length - 1; i >= 0; i--) {
        const w = this.workers[i];
        if (!w.busy && (w.child.exitCode !== null || w.child.signalCode !== null)) this.workers.splice(i, 1);
      }
      if (this.workers.length < this.concurrency) {
        const worker = this.spawn();
        worker.busy = true;
        this.workers.push(worker);
        return worker;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private spawn(): Worker {
    this.coldStarts += 1;
    const { fn, env } = this;
    const child = fork(HOST, [], {
      execArgv: ['--require', TSX, '--require', SHIM],
      stdio: ['ignore', this.logFd, this.logFd, 'ipc'],
      // Only what Lambda would give the function: never the parent's own credentials or profile.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TZ: 'UTC',
        ...fn.environment,
        AWS_REGION: fn.region,
        AWS_DEFAULT_REGION: fn.region,
        AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL: env.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        LAMBDA_TASK_ROOT: fn.assetDir,
        NODE_EXTRA_CA_CERTS: env.caFile,
        HARBORMASTER_SANDBOX_ASSET_DIR: fn.assetDir,
        HARBORMASTER_SANDBOX_HANDLER: fn.handler,
        HARBORMASTER_SANDBOX_FUNCTION_ARN: fn.arn,
        HARBORMASTER_SANDBOX_HOSTS: JSON.stringify(env.hosts),
      },
    });
    const worker: Worker = {
      child,
      busy: false,
      ready: new Promise<void>((resolve, reject) => {
        const onMessage = (message: { type: string }) => {
          if (message.type === 'ready') {
            child.off('exit', onExit);
            resolve();
          }
        };
        const onExit = (code: number | null) =>
          reject(new Error(`${fn.logicalId}: environment exited (${code}) before it was ready`));
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
    };
    worker.ready.catch(() => undefined);
    child.on('message', (message: { type: string; id: number } & InvokeResult) => {
      if (message.type !== 'result' || worker.pending?.id !== message.id) return;
      const { resolve } = worker.pending;
      worker.pending = undefined;
      resolve(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
    });
    child.on('exit', (code, signal) => {
      const pending = worker.pending;
      worker.pending = undefined;
      pending?.resolve({
        ok: false,
        error: { name: 'Runtime.ExitError', message: `environment exited (${code ?? signal})` },
      });
    });
    return worker;
  }

  private send(worker: Worker, event: unknown): Promise<InvokeResult> {
    const id = this.nextId++;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        if (worker.pending?.id !== id) return;
        worker.pending = undefined;
        // Lambda ends a timed-out environment; the next invocation gets a fresh one.
        worker.child.kill('SIGKILL');
        resolve({
          ok: false,
          error: {
            name: 'Sandbox.Timedout',
            message: `Task timed out after ${this.fn.timeoutSeconds}.00 seconds`,
          },
        });
      }, timeoutMs);
      worker.pending = {
        id,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      // The time left, not a deadline: the environment's clock need not be this process's (under faketime the
      // functions keep the real date), and a deadline on one clock read on another is months off.
      worker.child.send({ type: 'invoke', id, event, timeoutMs });
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => stopChild(w.child)));
    this.workers.length = 0;
    closeSync(this.logFd);
  }
}
