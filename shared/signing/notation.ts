import { constants, verify, X509Certificate } from 'node:crypto';
import { subjectName } from './trust';
import { SIGNATURE_MEDIA_TYPES, type NotationSigner, type SignatureCheck, type VerifyContext } from './types';
import { chainProblem } from './x509-chain';

/** The Notation-approved JWS algorithms and the key each needs (the leaf key decides; `alg` must agree). */
const ALGORITHMS: Record<string, { hash: string; key: 'ec' | 'rsa'; curve?: string; saltLength?: number }> = {
  ES256: { hash: 'sha256', key: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', key: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', key: 'ec', curve: 'secp521r1' },
  PS256: { hash: 'sha256', key: 'rsa', saltLength: 32 },
  PS384: { hash: 'sha384', key: 'rsa', saltLength: 48 },
  PS512: { hash: 'sha512', key: 'rsa', saltLength: 64 },
};

export const NOTATION_HEADERS = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  awsSigningProfileVersion: 'com.amazonaws.signer.signingProfileVersion',
  awsSigningJob: 'com.amazonaws.signer.signingJob',
} as const;
export const AWS_SIGNER_PLUGIN = 'com.amazonaws.signer.notation.plugin';

// Critical headers this verifier processes; any other critical header makes the signature unverifiable (RFC 7515 4.1.11).
const UNDERSTOOD = new Set<string>(Object.values(NOTATION_HEADERS));
const SCHEMES = new Set(['notary.x509', 'notary.x509.signingAuthority']);

interface ProtectedHeader {
  alg?: unknown;
  cty?: unknown;
  crit?: unknown;
  [key: string]: unknown;
}

/** Base64url (JWS) or base64 (x5c) to bytes; undefined when it is not that alphabet. */
function decode(text: unknown, alphabet: 'base64url' | 'base64'): Buffer | undefined {
  if (typeof text !== 'string') return undefined;
  const pattern = alphabet === 'base64url' ? /^[A-Za-z0-9_-]*$/ : /^[A-Za-z0-9+/]*={0,2}$/;
  return pattern.test(text) ? Buffer.from(text, alphabet) : undefined;
}

function json(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function time(value: unknown): Date | undefined {
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  ) {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Whether a signing profile version ARN is one the config trusts: a profile ARN trusts all its versions, a
 * version ARN exactly that version (as the AWS Signer plugin matches, case-insensitively).
 */
export function profileMatches(trusted: string, versionArn: string): boolean {
  const t = trusted.toLowerCase();
  const v = versionArn.toLowerCase();
  const resource = t.split(':').slice(5).join(':');
  const parts = resource.split('/');
  if (parts.length === 3) return v.lastIndexOf('/') > 0 && v.slice(0, v.lastIndexOf('/')) === t;
  return parts.length === 4 && v === t;
}

type Parsed =
  | { ok: false; reason: string }
  | {
      ok: true;
      header: ProtectedHeader;
      signingInput: Buffer;
      signature: Buffer;
      payload: Buffer;
      chain: X509Certificate[];
    };

function parseEnvelope(bytes: Buffer): Parsed {
  const envelope = json(bytes);
  if (!envelope) return { ok: false, reason: 'the signature envelope is not a JSON object' };
  const protectedPart = envelope.protected;
  const payloadPart = envelope.payload;
  const headerBytes = decode(protectedPart, 'base64url');
  const payload = decode(payloadPart, 'base64url');
  const signature = decode(envelope.signature, 'base64url');
  if (!headerBytes || !payload || !signature || signature.length === 0) {
    return {
      ok: false,
      reason: 'the envelope is not a flattened JWS (protected, payload, signature in base64url)',
    };
  }
  const header = json(headerBytes) as ProtectedHeader | undefined;
  if (!header) return { ok: false, reason: 'the JWS protected header is not a JSON object' };
  const x5c = (envelope.header as { x5c?: unknown } | undefined)?.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0) {
    return { ok: false, reason: 'the envelope has no x5c certificate chain' };
  }
  const chain: X509Certificate[] = [];
  for (const [i, entry] of x5c.entries()) {
    const der = decode(entry, 'base64');
    try {
      if (!der) throw new Error('not base64');
      chain.push(new X509Certificate(der));
    } catch {
      return { ok: false, reason: `x5c certificate ${i + 1} does not parse` };
    }
  }
  return {
    ok: true,
    header,
    payload,
    signature,
    chain,
    signingInput: Buffer.from(`${protectedPart as string}.${payloadPart as string}`, 'ascii'),
  };
}

/** The protected header's rules (cty, scheme, crit, times); returns why it fails. */
function headerProblem(header: ProtectedHeader): string | undefined {
  if (header.cty !== SIGNATURE_MEDIA_TYPES.notationPayload) {
    return `the content type is ${JSON.stringify(header.cty)}, not ${SIGNATURE_MEDIA_TYPES.notationPayload}`;
  }
  const scheme = header[NOTATION_HEADERS.signingScheme];
  if (typeof scheme !== 'string' || !SCHEMES.has(scheme)) {
    return `signing scheme ${JSON.stringify(scheme)} is not notary.x509 or notary.x509.signingAuthority`;
  }
  const crit = header.crit;
  if (!Array.isArray(crit) || !crit.includes(NOTATION_HEADERS.signingScheme)) {
    return 'the crit header does not list io.cncf.notary.signingScheme';
  }
  const unknown = crit.filter(
    (name) => typeof name !== 'string' || !UNDERSTOOD.has(name) || !(name in header),
  );
  if (unknown.length > 0) return `critical header ${JSON.stringify(unknown[0])} is not understood or absent`;
  const plugin = header[NOTATION_HEADERS.verificationPlugin];
  if (plugin !== undefined && plugin !== AWS_SIGNER_PLUGIN) {
    return `the signature needs the verification plugin ${JSON.stringify(plugin)}, which is not supported`;
  }
  return undefined;
}

function signatureVerifies(parsed: Extract<Parsed, { ok: true }>): string | undefined {
  const algorithm = ALGORITHMS[String(parsed.header.alg)];
  if (!algorithm) return `alg ${JSON.stringify(parsed.header.alg)} is not one Notation allows`;
  const key = parsed.chain[0].publicKey;
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  // The leaf key is the source of truth; a mismatching alg is an algorithm-substitution attempt.
  if (
    algorithm.key === 'ec' ? type !== 'ec' || curve !== algorithm.curve : type !== 'rsa' && type !== 'rsa-pss'
  ) {
    return `alg ${String(parsed.header.alg)} does not match the signing certificate's ${type}${curve ? ` ${curve}` : ''} key`;
  }
  const ok =
    algorithm.key === 'ec'
      ? verify(algorithm.hash, parsed.signingInput, { key, dsaEncoding: 'ieee-p1363' }, parsed.signature)
      : verify(
          algorithm.hash,
          parsed.signingInput,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength },
          parsed.signature,
        );
  return ok ? undefined : 'the JWS signature does not verify with the signing certificate (tampered)';
}

/** Checks one configured Notation signer against a cryptographically valid signature. */
function signerProblem(
  signer: NotationSigner,
  chain: X509Certificate[],
  signingTime: Date,
  profileVersion: string | undefined,
  awsSigner: boolean,
): string | undefined {
  const chainIssue = chainProblem(chain, signer.trustAnchors, signingTime);
  if (chainIssue) return chainIssue;
  if (signer.signingProfiles.length === 0) {
    // Every AWS Signer signature chains to the one AWS root: trusting the root alone would trust every account.
    return awsSigner
      ? `trusted signer ${signer.name} lists no signing profile, which AWS Signer signatures need`
      : undefined;
  }
  if (!profileVersion)
    return `the signature names no signing profile (expected ${signer.signingProfiles.join(', ')})`;
  if (!signer.signingProfiles.some((trusted) => profileMatches(trusted, profileVersion))) {
    return `signing profile ${profileVersion} is not ${signer.signingProfiles.join(' or ')}`;
  }
  return undefined;
}

/**
 * Verifies a Notation JWS envelope (the layer of an `application/vnd.cncf.notary.signature` manifest) offline:
 * the JWS signature with the leaf key, the payload naming `context.digest`, the critical headers, the expiry,
 * and for some trusted Notation signer the x5c chain to its anchor at the signing time and the signing profile.
 */
export function verifyNotation(envelope: Buffer, context: VerifyContext, source: string): SignatureCheck {
  const base = { format: 'notation' as const, source };
  const parsed = parseEnvelope(envelope);
  if (!parsed.ok) return { ...base, valid: false, reason: parsed.reason };
  const { header, chain } = parsed;
  const profileVersion = header[NOTATION_HEADERS.awsSigningProfileVersion];
  const scheme = header[NOTATION_HEADERS.signingScheme];
  const timeHeader =
    scheme === 'notary.x509.signingAuthority'
      ? NOTATION_HEADERS.authenticSigningTime
      : NOTATION_HEADERS.signingTime;
  const signingTime = time(header[timeHeader]);
  const described = {
    ...base,
    signer: typeof profileVersion === 'string' ? profileVersion : subjectName(chain[0]),
    ...(signingTime ? { signingTime: signingTime.toISOString() } : {}),
  };
  const fail = (reason: string): SignatureCheck => ({ ...described, valid: false, reason });

  const problem = headerProblem(header) ?? signatureVerifies(parsed);
  if (problem) return fail(problem);
  const target = (json(parsed.payload)?.targetArtifact ?? {}) as { digest?: unknown };
  if (target.digest !== context.digest) {
    return fail(`the signature is for ${String(target.digest)}, not ${context.digest}`);
  }
  if (!signingTime) return fail(`the ${timeHeader} header is missing or not an RFC 3339 time`);
  if (header[NOTATION_HEADERS.expiry] !== undefined) {
    const expiry = time(header[NOTATION_HEADERS.expiry]);
    if (!expiry) return fail('the io.cncf.notary.expiry header is not an RFC 3339 time');
    if (context.now.getTime() > expiry.getTime())
      return fail(`the signature expired at ${expiry.toISOString()}`);
  }
  const awsSigner = header[NOTATION_HEADERS.verificationPlugin] === AWS_SIGNER_PLUGIN;
  if (awsSigner && typeof profileVersion !== 'string') {
    return fail(`an AWS Signer signature without the ${NOTATION_HEADERS.awsSigningProfileVersion} attribute`);
  }
  const signers = context.signers.filter((s): s is NotationSigner => s.type === 'notation');
  if (signers.length === 0) return fail('no Notation signer is trusted for this image');
  const problems: string[] = [];
  for (const signer of signers) {
    const issue = signerProblem(signer, chain, signingTime, profileVersion as string | undefined, awsSigner);
    if (!issue) return { ...described, valid: true, trustedSigner: signer.name };
    problems.push(signers.length > 1 ? `${signer.name}: ${issue}` : issue);
  }
  return fail(problems.join('; '));
}
