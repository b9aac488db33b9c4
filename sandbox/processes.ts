import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitForPort } from './ports';

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
    try {
      await waitForPort(port, options.readyTimeoutMs ?? 20_000, () => {
        if (spawnError) return `${name}: ${spawnError.message}`;
        if (child.exitCode !== null || child.signalCode !== null) {
          return `${name} exited (${child.exitCode ?? child.signalCode}): ${stderr.trim().slice(-500)}`;
        }
        return undefined;
      });
    } catch (error) {
      lastError = error as Error;
      child.kill('SIGKILL');
      continue;
    }
    return { name, port, child, stop: () => stopChild(child) };
  }
  throw new Error(`could not start ${name}: ${lastError?.message}`);
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
