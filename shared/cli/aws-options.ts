import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../config/load';
import { CliError, EXIT } from './errors';

/** `--region`, `--profile` and `--endpoint-url` as every AWS-calling command receives them. */
export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
  /** Every AWS client's endpoint (a local emulator); AWS_ENDPOINT_URL when absent. */
  readonly endpointUrl?: string;
  /** The command's --config: its env.region is the last region fallback. */
  readonly config?: string;
}

/**
 * Everything a command touches outside itself: SDK clients, the clock, output. Commands take it as a
 * parameter so tests inject a fake clock and capture output; SDK calls are mocked with aws-sdk-client-mock.
 */
export interface CliDeps {
  ecr(options: AwsOptions): ECRClient;
  dynamodb(options: AwsOptions): DynamoDBClient;
  sts(options: AwsOptions): STSClient;
  /** Current time (the audit --since window, allowlist expiry, gate deadline). */
  now(): Date;
  /** Waits between polls; tests pass a fake that advances their clock. */
  sleep(ms: number): Promise<void>;
  /** Writes command results (stdout). */
  out(text: string): void;
  /** Writes progress lines (stderr), never results. */
  err(text: string): void;
  /** Environment (HARBORMASTER_AUDIT_TABLE). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Env var naming the audit table when --table is not given. */
export const AUDIT_TABLE_ENV = 'HARBORMASTER_AUDIT_TABLE';
/** Env var naming the image-state table when --state-table is not given. */
export const STATE_TABLE_ENV = 'HARBORMASTER_STATE_TABLE';

type Env = Readonly<Record<string, string | undefined>>;

interface SdkClientConfig {
  region?: string | (() => Promise<string>);
  profile?: string;
  endpoint?: string;
}

type ClientClass<T> = new (config: SdkClientConfig) => T;

/** The profile a command uses: --profile, then AWS_PROFILE; undefined means the standard chain. */
function profileName(options: AwsOptions, env: Env): string | undefined {
  return options.profile ?? env.AWS_PROFILE;
}

/** The section names of an AWS shared config or credentials file (`[profile x]` in config, `[x]` in both). */
function profileSections(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  const names = new Set<string>();
  for (const match of readFileSync(file, 'utf8').matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)) {
    names.add(match[1]);
  }
  return names;
}

/**
 * Fails with the profile's name when a named profile is in neither shared file: the SDK alone would only
 * say it found no credentials.
 */
export function assertProfileExists(profile: string | undefined, env: Env): void {
  if (!profile) return;
  const home = env.HOME ?? os.homedir();
  const configFile = env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config');
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials');
  if (profileSections(configFile).has(profile) || profileSections(credentialsFile).has(profile)) return;
  throw new CliError(`AWS profile "${profile}" was not found in ${configFile} or ${credentialsFile}`);
}

/** env.region of the command's --config (or of ./harbormaster.config.yaml when present), else undefined. */
function configRegion(options: AwsOptions): string | undefined {
  const file = options.config ?? DEFAULT_CONFIG_PATH;
  if (options.config === undefined && !existsSync(file)) return undefined;
  return loadConfig(file).env.region;
}

/**
 * The SDK client settings for a command. Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 * region, then the config's env.region. Endpoint: --endpoint-url, then AWS_ENDPOINT_URL (a local emulator).
 * `sdkRegion` is the SDK's own resolution (AWS_REGION and the profile), asked only when no flag or variable decides.
 */
export function awsClientConfig(
  options: AwsOptions,
  env: Env,
  sdkRegion: () => Promise<string>,
): SdkClientConfig {
  const profile = profileName(options, env);
  assertProfileExists(profile, env);
  const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL;
  const explicit = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const region =
    explicit ??
    (async () => {
      try {
        return await sdkRegion();
      } catch {
        const fromConfig = configRegion(options);
        if (fromConfig) return fromConfig;
        throw new CliError(
          'no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, give the profile a region, or set env.region in the config',
        );
      }
    });
  return {
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

/** Caches one client per class, region, profile and endpoint: a command creates each client once. */
function cachedFactory<T>(Client: ClientClass<T>, env: Env = process.env): (options: AwsOptions) => T {
  const cache = new Map<string, T>();
  return (options) => {
    const key = `${options.region ?? ''}|${options.profile ?? ''}|${options.endpointUrl ?? ''}|${options.config ?? ''}`;
    let client = cache.get(key);
    if (!client) {
      // The SDK's own region chain (AWS_REGION, then the profile's region), asked through a client without one.
      const sdkRegion = () =>
        (
          new Client({ ...(options.profile ? { profile: options.profile } : {}) }) as {
            config: { region: () => Promise<string> };
          }
        ).config.region();
      client = new Client(awsClientConfig(options, env, sdkRegion));
      cache.set(key, client);
    }
    return client;
  };
}

/** The real dependencies: SDK clients from the standard credential chain, the wall clock, process streams. */
export function defaultCliDeps(): CliDeps {
  return {
    ecr: cachedFactory(ECRClient),
    dynamodb: cachedFactory(DynamoDBClient),
    sts: cachedFactory(STSClient),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
  };
}

let overrides: Partial<CliDeps> = {};

/**
 * For tests that drive the real `run()` from shared/cli/main.ts: replaces some dependencies (clock, sleep,
 * output) for every command registered without explicit deps. Call with no argument to restore the defaults.
 */
export function configureCliDeps(partial: Partial<CliDeps> = {}): void {
  overrides = partial;
}

/** The dependencies a command uses: explicit ones when given at registration, else defaults plus overrides. */
export function resolveCliDeps(explicit?: CliDeps): CliDeps {
  return explicit ?? { ...defaultCliDeps(), ...overrides };
}

/** Adds --region and --profile to a command. */
export function addAwsOptions(command: Command): Command {
  return command
    .option(
      '--region <region>',
      "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then the config's env.region)",
    )
    .option(
      '--profile <name>',
      'named profile from ~/.aws/config (default: AWS_PROFILE or the standard credential chain)',
    )
    .option(
      '--endpoint-url <url>',
      'send every AWS call to this endpoint, e.g. a local emulator (default: AWS_ENDPOINT_URL)',
    );
}

/** Picks the AWS options out of a command's parsed options. */
export function awsOptionsFrom(options: {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  config?: string;
}): AwsOptions {
  return {
    region: options.region,
    profile: options.profile,
    endpointUrl: options.endpointUrl,
    config: options.config,
  };
}

/** The audit table from --table or HARBORMASTER_AUDIT_TABLE; a clear error naming both when neither is set. */
export function auditTableName(flag: string | undefined, deps: CliDeps): string {
  const name = flag ?? deps.env[AUDIT_TABLE_ENV];
  if (!name) {
    throw new CliError(
      `no audit table: pass --table NAME or set ${AUDIT_TABLE_ENV} (the AuditTableName output of the HarbormasterAutomation stack)`,
    );
  }
  return name;
}

/**
 * The image-state table from --state-table or HARBORMASTER_STATE_TABLE, or undefined when neither is set
 * (callers that cannot work without it use requiredStateTableName).
 */
export function stateTableName(flag: string | undefined, deps: CliDeps): string | undefined {
  // An empty value (a CI variable left blank) counts as unset.
  return flag || deps.env[STATE_TABLE_ENV] || undefined;
}

/** The image-state table; a clear error naming the flag, the variable and the stack output when neither is set. */
export function requiredStateTableName(flag: string | undefined, deps: CliDeps): string {
  const name = stateTableName(flag, deps);
  if (!name) {
    throw new CliError(
      `no image-state table: pass --state-table NAME or set ${STATE_TABLE_ENV} (the ImageStateTableName output of the HarbormasterAutomation stack)`,
    );
  }
  return name;
}

/**
 * Turns an SDK failure into one line an operator can act on. Missing region and credentials get a hint
 * about --region/--profile; AWS service errors keep their name and message.
 */
export function awsError(action: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; message?: string };
  const message = e?.message ?? String(error);
  if (/region is missing|region not accepted/i.test(message)) {
    return new CliError(
      `${action}: no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, or set env.region in the config`,
      EXIT.ERROR,
      { cause: error },
    );
  }
  if (e?.name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(
      `${action}: no AWS credentials: pass --profile or configure the standard AWS credential chain`,
      EXIT.ERROR,
      {
        cause: error,
      },
    );
  }
  const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
  return new CliError(`${action}: ${name}${message}`, EXIT.ERROR, { cause: error });
}

/**
 * The digest an image tag points at (ECR DescribeImages). A digest passed in is returned as is.
 * Missing repositories and tags become one clear CliError.
 */
export async function resolveImageDigest(
  ecr: ECRClient,
  ref: { repository: string; tag?: string; digest?: string },
): Promise<{ digest: string; tags: string[]; mediaType?: string }> {
  if (ref.digest && !ref.tag) return { digest: ref.digest, tags: [] };
  return describeImage(ecr, ref);
}

/**
 * The image a tag or digest names, with its tags and manifest media type (one DescribeImages, also for a
 * digest: the caller needs to know whether it is a multi-arch index). Same errors as resolveImageDigest.
 */
export async function describeImage(
  ecr: ECRClient,
  ref: { repository: string; tag?: string; digest?: string },
): Promise<{ digest: string; tags: string[]; mediaType?: string }> {
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: ref.repository,
        imageIds: [ref.tag ? { imageTag: ref.tag } : { imageDigest: ref.digest }],
      }),
    );
    const detail = out.imageDetails?.[0];
    if (!detail?.imageDigest)
      throw new CliError(`${ref.repository}${ref.tag ? `:${ref.tag}` : `@${ref.digest}`} was not found`);
    return {
      digest: detail.imageDigest,
      tags: detail.imageTags ?? [],
      ...(detail.imageManifestMediaType ? { mediaType: detail.imageManifestMediaType } : {}),
    };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ImageNotFoundException') {
      throw new CliError(`image ${ref.repository}:${ref.tag ?? ref.digest} was not found`, EXIT.ERROR, {
        cause: error,
      });
    }
    if (name === 'RepositoryNotFoundException') {
      throw new CliError(
        `repository ${ref.repository} does not exist in this account and region`,
        EXIT.ERROR,
        { cause: error },
      );
    }
    throw awsError(`DescribeImages for ${ref.repository}`, error);
  }
}
