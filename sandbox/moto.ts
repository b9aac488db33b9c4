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
      // The account every resource and event belongs to (moto's default is 123456789012).
      env: { ...process.env, MOTO_ACCOUNT_ID: account },
    },
  );
  return { ...server, endpoint: `http://127.0.0.1:${server.port}` };
}
