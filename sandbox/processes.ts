import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, listensOn, waitForPort } from './ports';

/** A server process the sandbox started and stops. */
export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `command` listening on a free port (`args(port)`), waits until the port accepts connections, and
 * retries on a new port when another process took it first (the machine is shared).
 */
export async function startServer(
  name: string,
  command: string,
  args: (port: number) => string[] | Promise<string[]>,
  options: { env?: NodeJS.ProcessEnv; readyTimeoutMs?: number; port?: () => Promise<number> } = {},
): Promise<ServerProcess> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await (options.port ?? freePort)();
    const child = spawn(command, await args(port), {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: options.env ?? process.env,
    });
    let stderr = '';
    child.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-2000);
    });
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    const alive = (): string | undefined => {
      if (spawnError) return `${name}: ${spawnError.message}`;
      if (child.exitCode !== null || child.signalCode !== null) {
        return `${name} exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().slice(-500)}`;
      }
      return undefined;
    };
    try {
      await waitForPort(port, options.readyTimeoutMs ?? 20_000, alive);
      // An answer alone is not proof: another process may hold the port, and ours then fails to bind.
      await waitUntilOwned(child, port, options.readyTimeoutMs ?? 20_000, alive);
    } catch (error) {
      lastError = error as Error;
      child.kill('SIGKILL');
      continue;
    }
    return { name, port, child, stop: () => stopChild(child) };
  }
  throw new Error(`could not start ${name}: ${lastError?.message}`);
}

/** Resolves once the listening socket on `port` is the child's own (read from /proc); rejects if it exits. */
async function waitUntilOwned(
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  alive: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await listensOn(child.pid, port))) {
    const exited = alive();
    if (exited) throw new Error(exited);
    if (Date.now() > deadline) throw new Error(`127.0.0.1:${port} is held by another process`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after a second; resolves when the process is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
