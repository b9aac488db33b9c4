import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BasicCredentials } from '../oci/credentials';
import { CliError } from './errors';

/** The parts of Docker's config.json that hold registry credentials (`docker login` writes them). */
interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Runs `docker-credential-<helper> get` with the server on stdin; returns its stdout, or undefined when it has none. */
export type CredentialHelperRunner = (helper: string, server: string) => string | undefined;

export interface DockerCredentialsOptions {
  /** Environment: DOCKER_CONFIG (the folder holding config.json), HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** @default runs the helper program found on PATH */
  readonly runHelper?: CredentialHelperRunner;
}

/** Docker Hub is stored under its v1 index URL, whatever name the image uses. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The host[:port] a config.json key names ("https://ghcr.io/v2/" and "ghcr.io" are the same registry). */
function keyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

function sameRegistry(key: string, host: string): boolean {
  const k = keyHost(key);
  const h = host.toLowerCase();
  if (DOCKER_HUB_HOSTS.has(h)) return DOCKER_HUB_HOSTS.has(k);
  return k === h;
}

export function configFilePath(env: DockerCredentialsOptions['env']): string {
  const dir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

function readConfig(file: string): DockerConfigFile | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (error) {
    // Never echo the file: it holds secrets. The parser's message names only the position.
    throw new CliError(
      `${file} is not valid JSON (${(error as Error).message.replace(/".*"/s, '…')})`,
      undefined,
      {
        cause: error,
      },
    );
  }
}

/** The default helper runner: `docker-credential-NAME get` found on PATH, server name on stdin, JSON on stdout. */
const runHelperProgram =
  (env: DockerCredentialsOptions['env']): CredentialHelperRunner =>
  (helper, server) => {
    const program = `docker-credential-${helper}`;
    const result = spawnSync(program, ['get'], {
      input: server,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...env },
    });
    if (result.error) {
      const code = (result.error as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT'
          ? `${program} (named in Docker's config.json) is not on PATH`
          : `${program} get failed: ${result.error.message}`,
      );
    }
    // Helpers exit non-zero with "credentials not found" for a registry they know nothing about: go anonymous.
    if (result.status !== 0) return undefined;
    return result.stdout;
  };

function fromHelper(
  helper: string,
  server: string,
  runHelper: CredentialHelperRunner,
): BasicCredentials | undefined {
  const out = runHelper(helper, server);
  if (!out || !out.trim()) return undefined;
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(out) as { Username?: string; Secret?: string };
  } catch {
    throw new CliError(`docker-credential-${helper} get printed something that is not JSON`);
  }
  if (!parsed.Username || !parsed.Secret) return undefined;
  // "<token>" marks an identity (OAuth refresh) token, which only Docker's own login flow can exchange.
  if (parsed.Username === '<token>') return undefined;
  return { username: parsed.Username, password: parsed.Secret };
}

function fromAuthEntry(entry: NonNullable<DockerConfigFile['auths']>[string]): BasicCredentials | undefined {
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Credentials `docker login` stored for one registry host, looked up the way Docker does: a `credHelpers`
 * entry for that host, then the `auths` entry for that host, then the `credsStore` helper. Only the entry of
 * the host asked for is ever returned, so a credential goes nowhere but its own registry. Undefined: none.
 */
export function dockerCredentials(
  host: string,
  options: DockerCredentialsOptions,
): BasicCredentials | undefined {
  const config = readConfig(configFilePath(options.env));
  if (!config) return undefined;
  const runHelper = options.runHelper ?? runHelperProgram(options.env);
  const isHub = DOCKER_HUB_HOSTS.has(host.toLowerCase());
  const server = isHub ? DOCKER_HUB_KEY : host;
  const helperKey = Object.keys(config.credHelpers ?? {}).find((key) => sameRegistry(key, host));
  if (helperKey) return fromHelper(config.credHelpers![helperKey], server, runHelper);
  const authKey = Object.keys(config.auths ?? {}).find((key) => sameRegistry(key, host));
  const stored = authKey ? fromAuthEntry(config.auths![authKey]) : undefined;
  if (stored) return stored;
  if (config.credsStore) return fromHelper(config.credsStore, authKey ?? server, runHelper);
  return undefined;
}

/** Whether config.json names a credential helper for exactly this host (used to let it win over the AWS chain for ECR). */
export function hasCredentialHelperFor(host: string, options: DockerCredentialsOptions): boolean {
  const config = readConfig(configFilePath(options.env));
  return Object.keys(config?.credHelpers ?? {}).some((key) => sameRegistry(key, host));
}
