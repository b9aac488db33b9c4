import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerProcess } from './processes';
import type { SandboxTls } from './tls';

/** A Debian docker-registry (CNCF distribution) standing in for one registry host, over TLS on loopback. */
export interface LocalRegistry extends ServerProcess {
  /** The host it stands in for, e.g. `111122223333.dkr.ecr.eu-west-1.amazonaws.com` or `ghcr.io`. */
  readonly standsFor: string;
  /** `127.0.0.1:PORT` */
  readonly address: string;
}

/** Starts one registry with filesystem storage under `dir` (see test/support/registries.ts for the same setup). */
export async function startLocalRegistry(
  binary: string,
  standsFor: string,
  dir: string,
  tls: SandboxTls,
): Promise<LocalRegistry> {
  const storage = path.join(dir, 'storage');
  await mkdir(storage, { recursive: true });
  const configFile = path.join(dir, 'config.yml');
  const server = await startServer(`docker-registry (${standsFor})`, binary, async (port) => {
    const lines = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: harbormaster-sandbox',
      '  tls:',
      `    certificate: ${tls.certFile}`,
      `    key: ${tls.keyFile}`,
    ];
    await writeFile(configFile, lines.join('\n') + '\n');
    return ['serve', configFile];
  });
  return { ...server, standsFor, address: `127.0.0.1:${server.port}` };
}
