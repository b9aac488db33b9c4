import net from 'node:net';
import { freePort } from '../../sandbox/ports';
import { startServer } from '../../sandbox/processes';

/** A tiny server as the sandbox starts its servers: node listening on the port it is given. */
const NODE_SERVER = (port: number) => [
  '-e',
  `require('node:net').createServer((s) => s.end()).listen(${port}, '127.0.0.1')`,
];

describe('the sandbox starting a server (sandbox/processes.ts)', () => {
  it('does not take another process answering on its port for its own server: it starts on another port', async () => {
    // Prepare: something else already listens on the first port the sandbox will try.
    const squatter = net.createServer((s) => s.end());
    const taken = await new Promise<number>((resolve) =>
      squatter.listen(0, '127.0.0.1', () => resolve((squatter.address() as net.AddressInfo).port)),
    );
    const ports = [taken];

    try {
      // Act
      const server = await startServer('node server', process.execPath, NODE_SERVER, {
        readyTimeoutMs: 10_000,
        port: async () => ports.shift() ?? freePort(),
      });

      // Assess: the first attempt's child failed to bind and exited; the second owns its port.
      try {
        expect(server.port).not.toBe(taken);
        expect(server.child.exitCode).toBeNull();
      } finally {
        await server.stop();
      }
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 30_000);
});
