import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
const TOOLS: Record<string, string> = {
  'docker-registry': REGISTRY_BINARY,
  skopeo: '/usr/bin/skopeo',
  htpasswd: '/usr/bin/htpasswd',
  openssl: '/usr/bin/openssl',
};

/**
 * True when every tool is installed. Under CI=true a missing tool is a failure (CI installs them in .ci/run);
 * elsewhere the caller may skip its tests, and this says why.
 */
export function haveTools(names: (keyof typeof TOOLS | string)[] = Object.keys(TOOLS)): boolean {
  const missing = names.filter((name) => !existsSync(TOOLS[name] ?? `/usr/bin/${name}`));
  if (missing.length === 0) return true;
  const message = `missing ${missing.join(', ')} (apt-get install docker-registry skopeo apache2-utils openssl)`;
  if (process.env.CI === 'true') throw new Error(`real-registry tests need ${message}`);
  console.warn(`skipping real-registry tests: ${message}`);
  return false;
}

export interface RegistryOptions {
  /** Serve HTTPS with a generated self-signed certificate for 127.0.0.1. */
  tls?: boolean;
  /** Require htpasswd basic auth with these credentials. */
  auth?: { username: string; password: string };
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly auth?: { username: string; password: string };
  /** Root of the filesystem storage (`docker/registry/v2/...` below it). */
  readonly storageDir: string;
  /** The file holding a blob's bytes. */
  blobPath(digest: string): string;
  /** SIGKILL the process (no graceful shutdown), as a crash would. */
  kill(): Promise<void>;
  /** Start the process again on the same port and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts Debian's docker-registry (CNCF distribution v2.8) on 127.0.0.1 with storage in a temp dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hm-registry-'));
  const storageDir = path.join(dir, 'storage');
  await mkdir(storageDir);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    // A fixed secret keeps upload URLs valid across a restart, so an interrupted upload can resume.
    '  secret: harbormaster-test-secret',
  ];
  if (options.tls) {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    lines.push('  tls:', `    certificate: ${cert}`, `    key: ${key}`);
  }
  if (options.auth) {
    const htpasswdFile = path.join(dir, 'htpasswd');
    // distribution only accepts bcrypt entries.
    const { stdout } = await run('htpasswd', ['-Bbn', options.auth.username, options.auth.password]);
    await writeFile(htpasswdFile, stdout.trim() + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: harbormaster-test', `    path: ${htpasswdFile}`);
  }
  const configFile = path.join(dir, 'config.yml');
  await writeFile(configFile, lines.join('\n') + '\n');

  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async () => {
    stderr = '';
    const started = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-4000);
    });
    child = started;
    await waitReady(host, !!options.tls, started, () => stderr);
  };
  const killChild = async (signal: NodeJS.Signals) => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      current.once('exit', () => resolve());
      current.kill(signal);
    });
  };
  await launch();
  return {
    host,
    port,
    tls: !!options.tls,
    auth: options.auth,
    storageDir,
    blobPath: (digest: string) => {
      const hex = digest.replace(/^sha256:/, '');
      return path.join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    },
    kill: () => killChild('SIGKILL'),
    restart: launch,
    stop: async () => {
      await killChild('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(host: string, tls: boolean, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const status = await probe(host, tls).catch(() => 0);
    if (status === 200 || status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry on ${host} not ready after 15 s: ${log()}`);
}

function probe(host: string, tls: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = `${tls ? 'https' : 'http'}://${host}/v2/`;
    const request = (tls ? https : http).get(url, { rejectUnauthorized: false, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.setTimeout(1000, () => request.destroy(new Error('timeout')));
  });
}

/** The skopeo flags to reach a test registry as source (`src`) or destination (`dest`). */
export function skopeoFlags(registry: RunningRegistry, side: 'src' | 'dest'): string[] {
  const flags = [`--${side}-tls-verify=false`];
  if (registry.auth) flags.push(`--${side}-creds`, `${registry.auth.username}:${registry.auth.password}`);
  return flags;
}

/** Runs skopeo with an accept-anything signature policy (the test images are unsigned). */
export async function skopeo(args: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['--insecure-policy', ...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** Pushes every ref of an OCI layout directory to a registry (`--all` keeps multi-arch indexes whole). */
export async function seed(
  layoutDir: string,
  tag: string,
  registry: RunningRegistry,
  repository: string,
): Promise<void> {
  await skopeo([
    'copy',
    '--all',
    '--preserve-digests',
    ...skopeoFlags(registry, 'dest'),
    `oci:${layoutDir}:${tag}`,
    `docker://${registry.host}/${repository}:${tag}`,
  ]);
}

/** The raw manifest at a reference, as skopeo sees it. */
export async function inspectRaw(registry: RunningRegistry, reference: string): Promise<string> {
  const creds = registry.auth ? ['--creds', `${registry.auth.username}:${registry.auth.password}`] : [];
  return skopeo([
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...creds,
    `docker://${registry.host}/${reference}`,
  ]);
}

/** Whether a tag or digest exists at a registry (skopeo inspect fails for a missing one). */
export async function exists(registry: RunningRegistry, reference: string): Promise<boolean> {
  try {
    await inspectRaw(registry, reference);
    return true;
  } catch {
    return false;
  }
}
