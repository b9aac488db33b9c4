import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import type { HarbormasterConfig } from '../../config/schema';
import {
  CredentialsError,
  ecrCredentialProvider,
  parseBasicCredentials,
  toCredentialProvider,
  type CredentialProvider,
} from '../../oci/credentials';
import { createTransport } from '../../oci/http';
import { apiHost, isEcrHost, parseReference, ReferenceError } from '../../oci/reference';
import { RegistryClient } from '../../oci/registry-client';
import { findRepository } from '../../policy/managed';
import { decideSignature, resolveSignaturePolicy, type SignatureDecision } from '../../signing/policy';
import { registrySource, SignatureReadError } from '../../signing/registry-source';
import { compileSigners, TrustConfigError } from '../../signing/trust';
import type { SignatureCheck } from '../../signing/types';
import { verifyImageSignatures } from '../../signing/verify-image';
import { addAwsOptions, awsError, awsOptionsFrom, type CliDeps, resolveCliDeps } from '../aws-options';
import { dockerCredentials, hasCredentialHelperFor } from '../docker-config';
import { CliError, EXIT } from '../errors';
import { parseImageRef } from '../format/image-ref';

interface VerifyOptions {
  config?: string;
  json?: boolean;
  creds?: string;
  plainHttp?: boolean;
  insecure?: boolean;
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

/** Env var read when --creds is absent (keeps a password out of `ps` and shell history). */
export const VERIFY_CREDENTIALS_ENV = 'HARBORMASTER_REGISTRY_CREDS';

export interface VerifyResult {
  readonly image: string;
  readonly repository: string;
  readonly digest: string;
  readonly requireSignature: boolean;
  /** The trusted signers the signatures were verified against. */
  readonly trustedSigners: readonly string[];
  readonly signatures: readonly SignatureCheck[];
  readonly verdict: SignatureDecision;
  /** Registry requests made (tag resolution included). */
  readonly requests: number;
}

/** Where the image lives: a registry host (an explicit one, or this account's ECR) and its repository. */
interface Target {
  host: string;
  repository: string;
  tag?: string;
  digest?: string;
  label: string;
}

// A first path component with a dot, a colon or `localhost` is a registry host (as docker reads references).
const HAS_HOST = /^(localhost|[^/]*[.:][^/]*)\//;

async function resolveTarget(text: string, deps: CliDeps, options: VerifyOptions): Promise<Target> {
  const input = text.trim();
  if (HAS_HOST.test(input)) {
    try {
      const ref = parseReference(input);
      if (!ref.tag && !ref.digest) throw new CliError(`"${text}": expected a tag or a digest`);
      return {
        host: apiHost(ref.registry),
        repository: ref.repository,
        tag: ref.tag,
        digest: ref.digest,
        label: input,
      };
    } catch (error) {
      if (error instanceof ReferenceError) throw new CliError(error.message);
      throw error;
    }
  }
  const ref = parseImageRef(input, 'tag-or-digest');
  const aws = awsOptionsFrom(options);
  try {
    const [identity, region] = await Promise.all([
      deps.sts(aws).send(new GetCallerIdentityCommand({})),
      deps.ecr(aws).config.region(),
    ]);
    return {
      host: `${identity.Account}.dkr.ecr.${region}.amazonaws.com`,
      repository: ref.repository,
      tag: ref.tag,
      digest: ref.digest,
      label: input,
    };
  } catch (error) {
    throw awsError(`finding this account's ECR registry for ${input}`, error);
  }
}

/** --creds (or the env var) first; ECR hosts the AWS chain; any other host what `docker login` stored for it. */
function credentialsFor(target: Target, deps: CliDeps, options: VerifyOptions): CredentialProvider {
  const text = options.creds ?? deps.env[VERIFY_CREDENTIALS_ENV];
  if (text !== undefined) {
    try {
      return toCredentialProvider(parseBasicCredentials(text, '--creds'));
    } catch (error) {
      if (error instanceof CredentialsError) throw new CliError(error.message);
      throw error;
    }
  }
  const docker = { env: deps.env };
  if (isEcrHost(target.host) && !hasCredentialHelperFor(target.host, docker)) {
    return ecrCredentialProvider(() => deps.ecr(awsOptionsFrom(options)));
  }
  return async (host) => (host === target.host ? dockerCredentials(host, docker) : undefined);
}

/** The config to read: --config, else harbormaster.config.yaml when present. */
function readConfig(path: string | undefined): HarbormasterConfig {
  const file = path ?? DEFAULT_CONFIG_PATH;
  if (path === undefined && !existsSync(file)) {
    throw new CliError(
      `no ${DEFAULT_CONFIG_PATH} here: pass --config FILE (its signing.signers are the trust roots)`,
    );
  }
  return loadConfig(file);
}

/**
 * Lists an image's signatures, verifies each against the repository's trusted signers (all of
 * `signing.signers` when it names none) and applies its signature policy: the same library and decision
 * as the scan function's verdict.
 */
export async function verifyImage(
  deps: CliDeps,
  input: { image: string; options: VerifyOptions },
): Promise<VerifyResult> {
  const config = readConfig(input.options.config);
  const target = await resolveTarget(input.image, deps, input.options);
  const managed = findRepository(config, target.repository);
  if (!managed) {
    throw new CliError(
      `${target.repository} is not managed in ${input.options.config ?? DEFAULT_CONFIG_PATH}`,
    );
  }
  let signers;
  try {
    signers = compileSigners(config.signing?.signers ?? {});
  } catch (error) {
    if (error instanceof TrustConfigError) throw new CliError(error.message);
    throw error;
  }
  const named = managed.scan.trustedSigners ?? [];
  const policy = resolveSignaturePolicy(managed.scan, signers);
  const verifyWith = named.length > 0 ? policy.signers : signers;
  const transport = createTransport({
    plainHttp: input.options.plainHttp === true,
    insecureTls: input.options.insecure === true,
    maxSockets: 4,
  });
  try {
    const source = registrySource(
      new RegistryClient({
        host: target.host,
        repository: target.repository,
        actions: ['pull'],
        credentials: credentialsFor(target, deps, input.options),
        transport,
      }),
    );
    let digest = target.digest;
    if (!digest) {
      const manifest = await source.manifest(target.tag as string);
      if (!manifest) throw new CliError(`${target.label} was not found at ${target.host}`);
      digest = manifest.digest;
    }
    const now = deps.now();
    const checks = await verifyImageSignatures(source, { digest, signers: verifyWith, now });
    return {
      image: target.label,
      repository: target.repository,
      digest,
      requireSignature: policy.requireSignature,
      trustedSigners: verifyWith.map((signer) => signer.name),
      signatures: checks,
      verdict: decideSignature(policy, checks),
      requests: source.requests,
    };
  } catch (error) {
    if (error instanceof SignatureReadError) throw new CliError(error.message, EXIT.ERROR, { cause: error });
    throw error;
  } finally {
    transport.close();
  }
}

export function formatVerifyResult(result: VerifyResult): string {
  const lines = [`${result.image} (${result.digest})`];
  if (result.signatures.length === 0) lines.push('signatures: none found');
  else lines.push(`signatures (${result.signatures.length}):`);
  for (const check of result.signatures) {
    const state = check.valid ? `VALID (trusted signer ${check.trustedSigner})` : 'INVALID';
    lines.push(`  ${check.format.padEnd(13)} ${state}`);
    lines.push(`    signer:       ${check.signer ?? 'unknown'}`);
    lines.push(`    signing time: ${check.signingTime ?? '-'}`);
    lines.push(`    source:       ${check.source}`);
    if (!check.valid) lines.push(`    why:          ${check.reason}`);
  }
  const required = result.requireSignature ? 'required' : 'not required';
  lines.push(
    `verdict: ${result.verdict.result.toUpperCase()} (signature ${required}: ${result.verdict.reason})`,
  );
  return `${lines.join('\n')}\n`;
}

export function registerVerify(program: Command, explicitDeps?: CliDeps): void {
  const command = program
    .command('verify')
    .description(
      "List an image's signatures (Notation / AWS Signer, cosign), verify them offline and apply the repository's signature policy",
    )
    .argument(
      '<image>',
      'REPOSITORY:TAG or REPOSITORY@sha256:DIGEST in this ECR registry, or HOST/REPOSITORY:TAG',
    )
    .option(
      '--config <file>',
      `Harbormaster config with the signature policy and signers (default: ${DEFAULT_CONFIG_PATH})`,
    )
    .option(
      '--creds <user:pass>',
      `registry credentials (or set ${VERIFY_CREDENTIALS_ENV}); ECR uses the AWS chain`,
    )
    .option('--plain-http', 'speak plain HTTP to the registry (local test registries)')
    .option('--insecure', 'do not verify the registry TLS certificate')
    .option('--json', 'print the result as JSON');
  addAwsOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ harbormaster verify payments/api:v1.4.2
  $ harbormaster verify payments/api@sha256:4b1c... --json
  $ harbormaster verify 127.0.0.1:5000/payments/api:v1 --plain-http --config harbormaster.config.yaml

Verification is offline (no Rekor, no AWS Signer revocation call). A multi-arch image is verified on its
index digest. Exit codes: 0 pass, 1 fail (no valid signature from a trusted signer), 2 error.`,
  );
  command.action(async (image: string, options: VerifyOptions) => {
    const deps = resolveCliDeps(explicitDeps);
    const result = await verifyImage(deps, { image, options });
    deps.out(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatVerifyResult(result));
    if (result.verdict.result === 'fail') {
      throw new CliError(`${result.image} fails its signature policy (${result.verdict.reason})`, EXIT.FAIL);
    }
  });
}
