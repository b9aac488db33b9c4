import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { STSClient } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { CliError, EXIT } from './errors';

/** `--region` and `--profile` as every AWS-calling command receives them. */
export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
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

type ClientClass<T> = new (config: { region?: string; profile?: string }) => T;

/** Caches one client per class, region and profile: a command creates each client once. */
function cachedFactory<T>(Client: ClientClass<T>): (options: AwsOptions) => T {
  const cache = new Map<string, T>();
  return (options) => {
    const key = `${options.region ?? ''}|${options.profile ?? ''}`;
    let client = cache.get(key);
    if (!client) {
      // The client's own `profile` setting selects the profile for credentials and region alike (standard chain otherwise).
      client = new Client({
        ...(options.region ? { region: options.region } : {}),
        ...(options.profile ? { profile: options.profile } : {}),
      });
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
    .option('--region <region>', "AWS region (default: AWS_REGION or the profile's region)")
    .option(
      '--profile <name>',
      'named profile from ~/.aws/config (default: AWS_PROFILE or the standard credential chain)',
    );
}

/** Picks the AWS options out of a command's parsed options. */
export function awsOptionsFrom(options: { region?: string; profile?: string }): AwsOptions {
  return { region: options.region, profile: options.profile };
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
 * Turns an SDK failure into one line an operator can act on. Missing region and credentials get a hint
 * about --region/--profile; AWS service errors keep their name and message.
 */
export function awsError(action: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; message?: string };
  const message = e?.message ?? String(error);
  if (/region is missing|region not accepted/i.test(message)) {
    return new CliError(`${action}: no AWS region: pass --region or set AWS_REGION`, EXIT.ERROR, {
      cause: error,
    });
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
): Promise<{ digest: string; tags: string[] }> {
  if (ref.digest && !ref.tag) return { digest: ref.digest, tags: [] };
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({
        repositoryName: ref.repository,
        imageIds: [ref.tag ? { imageTag: ref.tag } : { imageDigest: ref.digest }],
      }),
    );
    const detail = out.imageDetails?.[0];
    if (!detail?.imageDigest) throw new CliError(`${ref.repository}:${ref.tag} was not found`);
    return { digest: detail.imageDigest, tags: detail.imageTags ?? [] };
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
