import { execFile } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { dssePae } from '../../../shared/signing/cosign';
import { AWS_SIGNER_PLUGIN, NOTATION_HEADERS } from '../../../shared/signing/notation';
import { SIGNATURE_MEDIA_TYPES } from '../../../shared/signing/types';

const run = promisify(execFile);

/** A certificate with its private key, as openssl wrote them. */
export interface Issued {
  readonly pem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
}

/** A root -> intermediate -> code-signing leaf hierarchy, like AWS Signer's (ECDSA P-384). */
export interface Pki {
  readonly root: Issued;
  readonly intermediate: Issued;
  readonly leaf: Issued;
  /** A leaf that is not for code signing (serverAuth only). */
  readonly tlsLeaf: Issued;
  cleanup(): Promise<void>;
}

/**
 * Generates a test PKI with openssl (node:crypto cannot create certificates). Certificates are valid from
 * now for `days`; tests derive their signing times from the certificates' own validity, never the clock.
 */
export async function makePki(name: string, options: { curve?: string; days?: number } = {}): Promise<Pki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hm-signing-'));
  const curve = options.curve ?? 'P-384';
  const days = String(options.days ?? 30);
  const file = (base: string) => path.join(dir, base);
  const newKey = async (base: string) =>
    run('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      `ec_paramgen_curve:${curve}`,
      '-out',
      file(`${base}.key`),
    ]);
  const load = async (base: string): Promise<Issued> => {
    const pem = await readFile(file(`${base}.crt`), 'utf8');
    return {
      pem,
      cert: new X509Certificate(pem),
      key: createPrivateKey(await readFile(file(`${base}.key`))),
    };
  };
  await newKey('root');
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    file('root.key'),
    '-out',
    file('root.crt'),
    '-days',
    days,
    '-subj',
    `/O=Harbormaster Test/CN=${name} Root`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = async (base: string, issuer: string, subject: string, extensions: string) => {
    await newKey(base);
    await run('openssl', [
      'req',
      '-new',
      '-key',
      file(`${base}.key`),
      '-out',
      file(`${base}.csr`),
      '-subj',
      subject,
    ]);
    await writeFile(file(`${base}.ext`), extensions);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      file(`${base}.csr`),
      '-CA',
      file(`${issuer}.crt`),
      '-CAkey',
      file(`${issuer}.key`),
      '-CAcreateserial',
      '-out',
      file(`${base}.crt`),
      '-days',
      days,
      '-extfile',
      file(`${base}.ext`),
    ]);
  };
  await issue(
    'intermediate',
    'root',
    `/O=Harbormaster Test/CN=${name} Intermediate`,
    'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n',
  );
  await issue(
    'leaf',
    'intermediate',
    `/O=Harbormaster Test/CN=${name} Signer`,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n',
  );
  await issue(
    'tls',
    'intermediate',
    `/O=Harbormaster Test/CN=${name} TLS`,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  const pki = {
    root: await load('root'),
    intermediate: await load('intermediate'),
    leaf: await load('leaf'),
    tlsLeaf: await load('tls'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return pki;
}

export const PROFILE = 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/harbormaster_release';
export const PROFILE_VERSION = `${PROFILE}/a1B2c3D4e5`;

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export interface NotationOptions {
  digest: string;
  mediaType?: string;
  size?: number;
  signingTime: Date;
  expiry?: Date;
  /** Leaf first, as x5c carries it. */
  chain: X509Certificate[];
  key: KeyObject;
  alg?: string;
  /** AWS Signer: the signingAuthority scheme with the plugin and profile attributes (default true). */
  awsSigner?: boolean;
  profileVersion?: string;
  /** Replace the payload after signing (tampering). */
  tamperPayload?: string;
}

/**
 * Builds a Notation JWS envelope the way notation (with the AWS Signer plugin) does: flattened JWS JSON, the
 * protected header with the critical Notation and AWS extended attributes, x5c in the unprotected header.
 */
export function notationEnvelope(options: NotationOptions): Buffer {
  const aws = options.awsSigner ?? true;
  const alg = options.alg ?? 'ES384';
  const header: Record<string, unknown> = {
    alg,
    cty: SIGNATURE_MEDIA_TYPES.notationPayload,
    [NOTATION_HEADERS.signingScheme]: aws ? 'notary.x509.signingAuthority' : 'notary.x509',
    [aws ? NOTATION_HEADERS.authenticSigningTime : NOTATION_HEADERS.signingTime]: rfc3339(
      options.signingTime,
    ),
  };
  const crit: string[] = [NOTATION_HEADERS.signingScheme];
  if (aws) crit.push(NOTATION_HEADERS.authenticSigningTime);
  if (options.expiry) {
    header[NOTATION_HEADERS.expiry] = rfc3339(options.expiry);
    crit.push(NOTATION_HEADERS.expiry);
  }
  if (aws) {
    header[NOTATION_HEADERS.verificationPlugin] = AWS_SIGNER_PLUGIN;
    header[NOTATION_HEADERS.awsSigningProfileVersion] = options.profileVersion ?? PROFILE_VERSION;
    header[NOTATION_HEADERS.awsSigningJob] = 'arn:aws:signer:eu-west-1:111122223333:/signing-jobs/0f5e7b1c';
    crit.push(
      NOTATION_HEADERS.verificationPlugin,
      NOTATION_HEADERS.awsSigningProfileVersion,
      NOTATION_HEADERS.awsSigningJob,
    );
  }
  header.crit = crit;
  const payload = JSON.stringify({
    targetArtifact: {
      mediaType: options.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      digest: options.digest,
      size: options.size ?? 1234,
    },
  });
  const protectedPart = b64url(JSON.stringify(header));
  const payloadPart = b64url(payload);
  const hash = { ES256: 'sha256', ES384: 'sha384', ES512: 'sha512', PS256: 'sha256' }[alg] ?? 'sha384';
  const signature = sign(hash, Buffer.from(`${protectedPart}.${payloadPart}`), {
    key: options.key,
    dsaEncoding: 'ieee-p1363',
  });
  return Buffer.from(
    JSON.stringify({
      payload: options.tamperPayload !== undefined ? b64url(options.tamperPayload) : payloadPart,
      protected: protectedPart,
      header: {
        x5c: options.chain.map((cert) => cert.raw.toString('base64')),
        'io.cncf.notary.signingAgent': 'notation-go/1.3.0 aws-signer-notation-plugin/1.0.2292',
      },
      signature: b64url(signature),
    }),
  );
}

/** RFC 3339 without fractional seconds (the Notation spec says they SHOULD NOT be used). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A cosign key pair (`cosign generate-key-pair` makes ECDSA P-256). */
export function cosignKeys(): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, privateKey };
}

/** The simple-signing payload cosign signs for an image. */
export function simpleSigningPayload(reference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': reference },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/** The base64 DER ECDSA signature cosign puts in the dev.cosignproject.cosign/signature annotation. */
export function cosignSign(payload: Buffer, key: KeyObject): string {
  return sign('sha256', payload, key).toString('base64');
}

/** A cosign 3 Sigstore bundle: DSSE over an in-toto statement naming the digest with the cosign/sign/v1 predicate. */
export function cosignBundle(
  digest: string,
  key: KeyObject,
  options: { predicateType?: string; tamper?: boolean } = {},
): Buffer {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'registry.example/app', digest: { sha256: digest.replace('sha256:', '') } }],
      predicateType: options.predicateType ?? 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    }),
  );
  const signature = sign('sha256', dssePae(SIGNATURE_MEDIA_TYPES.inTotoPayload, statement), key);
  const payload = options.tamper
    ? Buffer.from(statement.toString().replace('"predicate":{}', '"predicate":{"x":1}'))
    : statement;
  return Buffer.from(
    JSON.stringify({
      mediaType: SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      verificationMaterial: { publicKey: { hint: 'cosign.pub' }, tlogEntries: [] },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: SIGNATURE_MEDIA_TYPES.inTotoPayload,
        signatures: [{ sig: signature.toString('base64'), keyid: '' }],
      },
    }),
  );
}

/** A Sigstore bundle with a message signature over the image manifest bytes. */
export function messageSignatureBundle(manifest: Buffer, key: KeyObject): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      verificationMaterial: { publicKey: { hint: 'cosign.pub' } },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: createHash('sha256').update(manifest).digest('base64'),
        },
        signature: sign('sha256', manifest, key).toString('base64'),
      },
    }),
  );
}

/** A fake digest for tests that never reach a registry. */
export function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
