import net from 'node:net';
import { haveTools, startRegistry, type RunningRegistry } from '../../support/registries';

const suite = haveTools(['docker-registry', 'openssl', 'htpasswd']) ? describe : describe.skip;

/** Holds a port the way another process on a busy machine would. */
function holdPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

suite('startRegistry on a busy machine', () => {
  let squatter: net.Server;
  let registry: RunningRegistry | undefined;

  beforeEach(async () => {
    squatter = await holdPort();
  });

  afterEach(async () => {
    await registry?.stop();
    registry = undefined;
    await new Promise((resolve) => squatter.close(resolve));
  });

  it('starts on another port when its chosen port is taken before docker-registry binds it', async () => {
    // Prepare
    const taken = (squatter.address() as net.AddressInfo).port;

    // Act
    registry = await startRegistry({ firstPort: taken });

    // Assess
    expect(registry.port).not.toBe(taken);
    const response = await fetch(`http://${registry.host}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
});
