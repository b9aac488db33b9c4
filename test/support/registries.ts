import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { listensOn, portListened } from '../../sandbox/ports';

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
  /** Port for the first start attempt (later attempts let the OS choose); lets a test provoke a bind clash. */
  firstPort?: number;
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

/**
 * Thrown when docker-registry could not bind its port: the port was free when chosen, but another process (other
 * tests, other engineers' registries) took it before the registry bound it. The caller picks another port.
 */
class PortTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortTakenError';
  }
}

// Each attempt picks a fresh OS-chosen port; a clash needs another process to take that exact port in the gap.
const START_ATTEMPTS = 8;

/** Starts Debian's docker-registry (CNCF distribution v2.8) on 127.0.0.1 with storage in a temp dir. */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hm-registry-'));
  const storageDir = path.join(dir, 'storage');
  await mkdir(storageDir);
  const extra: string[] = [];
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
      // Long enough that a suite run under faketime (months ahead) still sees a valid certificate.
      '3650',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    extra.push('  tls:', `    certificate: ${cert}`, `    key: ${key}`);
  }
  if (options.auth) {
    const htpasswdFile = path.join(dir, 'htpasswd');
    // distribution only accepts bcrypt entries.
    const { stdout } = await run('htpasswd', ['-Bbn', options.auth.username, options.auth.password]);
    await writeFile(htpasswdFile, stdout.trim() + '\n');
    extra.push('auth:', '  htpasswd:', '    realm: harbormaster-test', `    path: ${htpasswdFile}`);
  }
  const configFile = path.join(dir, 'config.yml');
  const writeConfig = (host: string) =>
    writeFile(
      configFile,
      [
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
        ...extra,
      ].join('\n') + '\n',
    );

  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async (host: string, port: number) => {
    stderr = '';
    const started = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    started.stderr?.on('data', (data: Buffer) => {
      stderr = (stderr + data.toString()).slice(-4000);
    });
    child = started;
    await waitReady(host, port, !!options.tls, started, () => stderr);
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

  let port = 0;
  let host = '';
  for (let attempt = 1; ; attempt++) {
    port = attempt === 1 && options.firstPort ? options.firstPort : await freePort();
    host = `127.0.0.1:${port}`;
    await writeConfig(host);
    try {
      await launch(host, port);
      break;
    } catch (error) {
      await killChild('SIGKILL');
      if (!(error instanceof PortTakenError) || attempt >= START_ATTEMPTS) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  // A restart keeps its port (upload URLs name it); if another process took it meanwhile, wait for it to go.
  const relaunch = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await launch(host, port);
      } catch (error) {
        await killChild('SIGKILL');
        if (!(error instanceof PortTakenError) || attempt >= START_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  };
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
    restart: relaunch,
    stop: async () => {
      await killChild('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until `child` answers on its port. An answer alone is not proof: another process may hold the port, so
 * the listening socket must belong to the child (checked in /proc), and a bind failure is a PortTakenError.
 */
async function waitReady(
  host: string,
  port: number,
  tls: boolean,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const text = log();
      if (/address already in use/i.test(text)) throw new PortTakenError(`port ${port} taken: ${text}`);
      throw new Error(`docker-registry exited with ${child.exitCode ?? child.signalCode}: ${text}`);
    }
    const status = await probe(host, tls).catch(() => 0);
    if ((status === 200 || status === 401) && (await listensOn(child.pid, port))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  if (!(await listensOn(child.pid, port)) && (await portListened(port))) {
    throw new PortTakenError(`port ${port} is held by another process`);
  }
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

let certificate: Promise<{ cert: string; key: string }> | undefined;

/**
 * A self-signed certificate for 127.0.0.1 (P-256, valid 10 years so faketime runs pass), made once per test process
 * with openssl, for the TLS servers the tests write themselves.
 */
export function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hm-cert-'));
    try {
      const certFile = path.join(dir, 'cert.pem');
      const keyFile = path.join(dir, 'key.pem');
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '3650',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]);
      return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return certificate;
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
