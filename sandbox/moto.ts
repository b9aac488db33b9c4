import { startServer, type ServerProcess } from './processes';

/** moto_server on 127.0.0.1: the local AWS the sandbox provisions the templates into. */
export interface Moto extends ServerProcess {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
}

export async function startMoto(motoServer: string, account: string): Promise<Moto> {
  // moto needs no state on disk; each sandbox gets its own server so parallel sandboxes never share resources.
  const server = await startServer(
    'moto_server',
    motoServer,
    (port) => ['-H', '127.0.0.1', '-p', String(port)],
    {
      readyTimeoutMs: 30_000,
      // The account every resource and event belongs to (moto's default is 123456789012). DONT_FAKE_MONOTONIC
      // matters only under libfaketime (a suite run months ahead): a faked monotonic clock gives Python's
      // Condition.wait(timeout) a deadline months away, so moto's long-poll ReceiveMessage on an empty queue
      // never returns and a message made visible again (a retry) is never received. The date stays faked.
      env: { ...process.env, MOTO_ACCOUNT_ID: account, DONT_FAKE_MONOTONIC: '1' },
    },
  );
  return { ...server, endpoint: `http://127.0.0.1:${server.port}` };
}
