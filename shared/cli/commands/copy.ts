import { ECRClient } from '@aws-sdk/client-ecr';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CopyError, copyImage, type CopyProgress, type CopyResult } from '../../oci/copy';
import { DurationError, parseDuration } from '../../oci/duration';
import {
  CredentialsError,
  ecrCredentialProvider,
  parseBasicCredentials,
  type BasicCredentials,
  type CredentialProvider,
} from '../../oci/credentials';
import {
  ReferenceError,
  formatReference,
  isEcrHost,
  parseReference,
  type ImageReference,
} from '../../oci/reference';
import { awsClientConfig } from '../aws-options';
import { dockerCredentials, hasCredentialHelperFor } from '../docker-config';
import { CliError, EXIT } from '../errors';

interface CopyFlags {
  srcCreds?: string;
  destCreds?: string;
  plainHttp?: boolean;
  srcPlainHttp?: boolean;
  destPlainHttp?: boolean;
  insecure?: boolean;
  concurrency: string;
  chunkSize?: string;
  timeout?: string;
  referrers: boolean;
  json?: boolean;
  profile?: string;
  endpointUrl?: string;
}

/** Environment variables read when the flags are absent, so passwords need not appear in `ps` or shell history. */
export const CREDENTIAL_ENV = {
  source: 'HARBORMASTER_SRC_CREDS',
  destination: 'HARBORMASTER_DEST_CREDS',
} as const;

export function registerCopy(program: Command): void {
  program
    .command('copy')
    .description(
      'Copy an image (or a multi-arch index with all its platforms) between OCI registries, verifying every digest.',
    )
    .argument('<src>', 'source reference, e.g. 127.0.0.1:5001/team/app:v1 or ghcr.io/org/app@sha256:<hex>')
    .argument('<dst>', 'destination reference; without a tag, the source tag is used')
    .option(
      '--src-creds <user:pass>',
      `source credentials (or set ${CREDENTIAL_ENV.source}); else Docker's config.json (docker login, credential helpers), and the AWS credential chain for ECR hosts`,
    )
    .option('--dest-creds <user:pass>', `destination credentials (or set ${CREDENTIAL_ENV.destination})`)
    .option('--plain-http', 'speak plain HTTP (no TLS) to both registries')
    .option('--src-plain-http', 'speak plain HTTP to the source registry only')
    .option('--dest-plain-http', 'speak plain HTTP to the destination registry only')
    .option('--insecure', 'do not verify TLS certificates (self-signed registries)')
    .option('--concurrency <n>', 'blobs transferred at the same time (1-64)', '4')
    .option(
      '--no-referrers',
      "leave the image's signatures, SBOMs and attestations (OCI referrers, cosign tags) behind",
    )
    .option('--timeout <duration>', 'fail the copy if it has not finished after this long, e.g. 90s, 10m, 1h')
    .option('--chunk-size <MiB>', 'upload blobs larger than this in chunks of this many MiB (at least 5)')
    .option('--profile <name>', 'AWS profile for ECR tokens (default: AWS_PROFILE or the standard chain)')
    .option(
      '--endpoint-url <url>',
      'AWS endpoint for ECR token calls, e.g. a local emulator (default: AWS_ENDPOINT_URL)',
    )
    .option(
      '--json',
      'print one JSON object {digest, bytesCopied, blobsCopied, blobsSkipped, seconds} on stdout',
    )
    .action(async (src: string, dst: string, flags: CopyFlags) => {
      const source = reference(src, 'SRC');
      const destination = reference(dst, 'DST');
      const concurrency = integerFlag(flags.concurrency, '--concurrency', 1, 64);
      const chunkSize = flags.chunkSize
        ? integerFlag(flags.chunkSize, '--chunk-size', 5, 4096) * 1024 * 1024
        : undefined;
      const timeoutMs = flags.timeout === undefined ? undefined : durationFlag(flags.timeout, '--timeout');
      const plainHosts = new Set<string>();
      if (flags.plainHttp || flags.srcPlainHttp) plainHosts.add(source.registry);
      if (flags.plainHttp || flags.destPlainHttp) plainHosts.add(destination.registry);
      // One provider for both sides: a copy within one ECR account and region asks for one token.
      const ecr = ecrCredentialProvider(
        (region) =>
          new ECRClient(
            awsClientConfig(
              { region, profile: flags.profile, endpointUrl: flags.endpointUrl },
              process.env,
              async () => region,
            ),
          ),
      );
      const bar = process.stderr.isTTY ? progressBar() : undefined;
      let result: CopyResult;
      try {
        result = await copyImage({
          source,
          destination,
          sourceCredentials: credentials(
            flags.srcCreds ?? process.env[CREDENTIAL_ENV.source],
            source,
            '--src-creds',
            ecr,
          ),
          destinationCredentials: credentials(
            flags.destCreds ?? process.env[CREDENTIAL_ENV.destination],
            destination,
            '--dest-creds',
            ecr,
          ),
          plainHttp: (host) => plainHosts.has(host),
          insecureTls: flags.insecure === true,
          concurrency,
          chunkSize,
          timeoutMs,
          referrers: flags.referrers,
          onProgress: bar?.update,
        });
      } catch (error) {
        bar?.stop();
        if (error instanceof CopyError) {
          throw new CliError(
            `copy ${formatReference(source)} failed (${error.code}): ${error.message}`,
            // --timeout gave up waiting, like gate --timeout: CI may retry it, unlike bad input.
            error.code === 'timeout' ? EXIT.TIMEOUT : undefined,
            {
              cause: error,
            },
          );
        }
        throw error;
      }
      bar?.stop();
      if (flags.json) {
        const { digest, bytesCopied, blobsCopied, blobsSkipped, seconds } = result;
        process.stdout.write(
          JSON.stringify({ digest, bytesCopied, blobsCopied, blobsSkipped, seconds }) + '\n',
        );
        return;
      }
      const rate = result.seconds > 0 ? ` (${megabytes(result.bytesCopied / result.seconds)}/s)` : '';
      const moved =
        result.blobsCopied === 0 && result.blobsSkipped === 0
          ? 'already at the destination: no blob moved'
          : `${result.blobsCopied} blobs (${megabytes(result.bytesCopied)}) copied, ${result.blobsSkipped} already present`;
      process.stdout.write(
        `copied ${formatReference(source)} -> ${formatReference({ ...destination, digest: result.digest })}\n` +
          `  ${moved}, ${result.seconds} s${result.bytesCopied > 0 ? rate : ''}\n`,
      );
    });
}

function reference(text: string, what: string): ImageReference {
  try {
    return parseReference(text);
  } catch (error) {
    if (error instanceof ReferenceError) throw new CliError(`${what}: ${error.message}`);
    throw error;
  }
}

function durationFlag(value: string, flag: string): number {
  try {
    return parseDuration(value, flag);
  } catch (error) {
    if (error instanceof DurationError) throw new CliError(error.message);
    throw error;
  }
}

function integerFlag(value: string, flag: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/**
 * Explicit USER:PASS wins. Then an ECR host uses the AWS credential chain (unless Docker's config.json names a
 * credential helper for it: a stored `docker login` token for ECR expires in 12 hours). Any other host uses what
 * `docker login` stored for that host alone, else goes anonymous.
 */
function credentials(
  text: string | undefined,
  target: ImageReference,
  flag: string,
  ecr: CredentialProvider,
): BasicCredentials | CredentialProvider | undefined {
  if (text !== undefined) {
    try {
      return parseBasicCredentials(text, flag);
    } catch (error) {
      if (error instanceof CredentialsError) throw new CliError(error.message);
      throw error;
    }
  }
  const docker = { env: process.env };
  if (isEcrHost(target.registry) && !hasCredentialHelperFor(target.registry, docker)) return ecr;
  // Looked up when the registry asks, and only for the host this side names: never sent to another origin.
  return async (host) => (host === target.registry ? dockerCredentials(host, docker) : undefined);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function progressBar(): { update: (progress: CopyProgress) => void; stop: () => void } {
  const bar = new SingleBar({
    format: '{bar} {percentage}% | {done}/{size} MB | blobs {blobs} | {phase}',
    hideCursor: true,
    clearOnComplete: true,
    stream: process.stderr,
  });
  let started = false;
  return {
    update: (progress) => {
      const payload = {
        done: (progress.bytesDone / 1e6).toFixed(1),
        size: (progress.bytesTotal / 1e6).toFixed(1),
        blobs: `${progress.blobsDone}/${progress.blobsTotal}`,
        phase: progress.phase,
      };
      const total = Math.max(progress.bytesTotal, 1);
      if (!started) {
        bar.start(total, 0, payload);
        started = true;
      }
      bar.setTotal(total);
      bar.update(Math.min(progress.bytesDone, total), payload);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
