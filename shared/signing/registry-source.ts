import { discardBody, readBody, statusError } from '../oci/http';
import { MANIFEST_ACCEPT, sha256Digest, type Descriptor } from '../oci/manifest';
import type { RegistryClient } from '../oci/registry-client';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from '../oci/retry';

/** A manifest as the registry served it, digest-verified. */
export interface FetchedManifest {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly body: Record<string, unknown>;
}

/** A referrer descriptor (an OCI descriptor with the artifactType the referrers index carries). */
export interface ReferrerDescriptor extends Descriptor {
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

/**
 * The registry reads the signature reader needs. registrySource() implements it over shared/oci's
 * RegistryClient; anything else that speaks the distribution API can too.
 */
export interface SignatureSource {
  /** The manifest at a tag or digest, or undefined when there is none (404). */
  manifest(reference: string): Promise<FetchedManifest | undefined>;
  /** A blob's bytes, checked against the descriptor's digest and size. */
  blob(descriptor: Descriptor): Promise<Buffer>;
  /** The referrers API's answer for a digest, or undefined when the registry has no referrers API (404). */
  referrers(digest: string): Promise<ReferrerDescriptor[] | undefined>;
  /** Registry requests made so far (the cost of a verification; token requests not counted). */
  readonly requests: number;
}

/** A registry answer the reader cannot use (after retries), or bytes that do not match their digest. */
export class SignatureReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignatureReadError';
  }
}

// Signature artifacts are small: a Notation envelope with its chain is a few KB, a bundle under 10 KB.
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const BLOB_LIMIT = 1024 * 1024;
const ACCEPT = `${MANIFEST_ACCEPT}, application/vnd.oci.artifact.manifest.v1+json`;
const MAX_REFERRER_PAGES = 10;

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new SignatureReadError(`${what} is not a JSON object`);
}

/** The `next` target of a Link header (`<url>; rel="next"`), for a paginated referrers list. */
function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  const match = text ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(text) : null;
  return match?.[1];
}

/** A SignatureSource over a RegistryClient (pull scope), with the copy engine's retry policy. */
export function registrySource(client: RegistryClient, retry: RetryPolicy = DEFAULT_RETRY): SignatureSource {
  let requests = 0;
  const where = `${client.host}/${client.repository}`;
  const get = async (url: URL, accept: string | undefined, followRedirects = false) => {
    requests++;
    return client.request('GET', url, { headers: accept ? { accept } : {}, followRedirects });
  };
  const attempt = <T>(operation: () => Promise<T>, what: string): Promise<T> =>
    withRetry(retry, operation).catch((error: unknown) => {
      if (error instanceof SignatureReadError) throw error;
      throw new SignatureReadError(`${what} at ${where}: ${(error as Error).message}`, { cause: error });
    });

  return {
    get requests() {
      return requests;
    },
    manifest: (reference) =>
      attempt(async () => {
        const response = await get(client.url(`manifests/${reference}`), ACCEPT);
        if (response.statusCode === 404) {
          await discardBody(response);
          return undefined;
        }
        if (response.statusCode !== 200) throw await statusError(response, `GET manifest ${reference}`);
        const bytes = await readBody(response, MANIFEST_LIMIT);
        const digest = sha256Digest(bytes);
        if (reference.startsWith('sha256:') && reference !== digest) {
          throw new SignatureReadError(`manifest ${reference} at ${where} hashes to ${digest}`);
        }
        return { digest, bytes, body: parseJson(bytes, `manifest ${reference}`) };
      }, `reading manifest ${reference}`),
    blob: (descriptor) =>
      attempt(async () => {
        if (descriptor.size > BLOB_LIMIT) {
          throw new SignatureReadError(
            `blob ${descriptor.digest} is ${descriptor.size} bytes: too large for a signature`,
          );
        }
        const response = await get(client.url(`blobs/${descriptor.digest}`), undefined, true);
        if (response.statusCode !== 200) throw await statusError(response, `GET blob ${descriptor.digest}`);
        const bytes = await readBody(response, BLOB_LIMIT);
        if (bytes.length !== descriptor.size || sha256Digest(bytes) !== descriptor.digest) {
          throw new SignatureReadError(
            `blob ${descriptor.digest} at ${where} does not match its digest or size`,
          );
        }
        return bytes;
      }, `reading blob ${descriptor.digest}`),
    referrers: (digest) =>
      attempt(async () => {
        const found: ReferrerDescriptor[] = [];
        let url: URL | undefined = client.url(`referrers/${digest}`);
        for (let page = 0; url && page < MAX_REFERRER_PAGES; page++) {
          const response = await get(url, 'application/vnd.oci.image.index.v1+json');
          // 404 is how a registry without the API answers (distribution spec); 405/501 from some proxies.
          if (page === 0 && [404, 405, 501].includes(response.statusCode ?? 0)) {
            await discardBody(response);
            return undefined;
          }
          if (response.statusCode !== 200) throw await statusError(response, `GET referrers of ${digest}`);
          const index = parseJson(await readBody(response, MANIFEST_LIMIT), `referrers index of ${digest}`);
          if (Array.isArray(index.manifests)) found.push(...(index.manifests as ReferrerDescriptor[]));
          const next = nextLink(response.headers.link);
          url = next ? new URL(next, url) : undefined;
        }
        return found;
      }, `listing the referrers of ${digest}`),
  };
}
