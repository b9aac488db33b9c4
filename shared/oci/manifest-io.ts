import type { IncomingMessage } from 'node:http';
import { CopyError } from './errors';
import { BodyTooLargeError, discardBody, readBody, statusError } from './http';
import { MANIFEST_ACCEPT, manifestMediaType, sha256Digest, type RawManifest } from './manifest';
import type { RegistryClient } from './registry-client';

/** Reading and writing manifests at a registry: digest-verified reads, HEADs, PUTs. */

// The distribution spec lets registries refuse manifests over 4 MiB; a bigger one is refused here at once.
export const MANIFEST_LIMIT = 4 * 1024 * 1024;

/** Reads a manifest body; one over MANIFEST_LIMIT is a CopyError 'too-large' (never retried: it stays too large). */
async function readManifestBody(
  client: RegistryClient,
  response: IncomingMessage,
  ref: string,
): Promise<Buffer> {
  try {
    return await readBody(response, MANIFEST_LIMIT);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new CopyError(
      'too-large',
      `manifest ${client.repository}:${ref} at ${client.host} is larger than ${MANIFEST_LIMIT / 1024 / 1024} MiB, the most a registry must accept; not copied`,
      { cause: error },
    );
  }
}

/** GETs a manifest and verifies its bytes against the digest asked for, or the digest the registry announced. */
export async function fetchManifest(
  client: RegistryClient,
  ref: string,
  expectedDigest?: string,
  expectedSize?: number,
): Promise<RawManifest> {
  const url = client.url(`manifests/${ref}`);
  const response = await client.request('GET', url, { headers: { accept: MANIFEST_ACCEPT } });
  if (response.statusCode === 404) {
    await discardBody(response);
    throw new CopyError('not-found', `${client.host}/${client.repository}:${ref} not found`, { status: 404 });
  }
  if (response.statusCode !== 200)
    throw await statusError(response, `GET manifest ${ref} from ${client.host}`);
  const bytes = await readManifestBody(client, response, ref);
  const digest = sha256Digest(bytes);
  const announced = response.headers['docker-content-digest'];
  const expected =
    expectedDigest ??
    (typeof announced === 'string' && announced.startsWith('sha256:') ? announced : undefined);
  if (expected && expected !== digest) {
    throw new CopyError(
      'digest-mismatch',
      `manifest ${client.repository}:${ref} hashes to ${digest}, expected ${expected}`,
    );
  }
  if (expectedSize !== undefined && expectedSize !== bytes.length) {
    throw new CopyError(
      'digest-mismatch',
      `manifest ${digest} is ${bytes.length} bytes, its descriptor gives ${expectedSize}`,
    );
  }
  const contentType = response.headers['content-type'];
  return { digest, bytes, mediaType: manifestMediaType(bytes, contentType) };
}

/** The digest a tag or digest resolves to at a registry, or undefined when it is absent. */
export async function headManifest(client: RegistryClient, ref: string): Promise<string | undefined> {
  const url = client.url(`manifests/${ref}`);
  const response = await client.request('HEAD', url, { headers: { accept: MANIFEST_ACCEPT } });
  await discardBody(response);
  if (response.statusCode === 404) return undefined;
  if (response.statusCode !== 200)
    throw await statusError(response, `HEAD manifest ${ref} at ${client.host}`);
  const digest = response.headers['docker-content-digest'];
  if (typeof digest === 'string' && digest.startsWith('sha256:')) return digest;
  // No digest header: read the manifest and hash it.
  const full = await client.request('GET', url, { headers: { accept: MANIFEST_ACCEPT } });
  if (full.statusCode !== 200) throw await statusError(full, `GET manifest ${ref} at ${client.host}`);
  return sha256Digest(await readManifestBody(client, full, ref));
}

/**
 * PUTs a manifest under a tag or digest and checks the digest the registry stored. Returns whether the registry
 * said it indexed the manifest's `subject` (the OCI-Subject header of registries with the referrers API).
 */
export async function putManifest(
  client: RegistryClient,
  ref: string,
  manifest: RawManifest,
): Promise<{ subjectIndexed: boolean }> {
  const url = client.url(`manifests/${ref}`);
  const response = await client.request('PUT', url, {
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
  });
  if (response.statusCode !== 201 && response.statusCode !== 200 && response.statusCode !== 202) {
    throw await statusError(response, `PUT manifest ${ref} to ${client.host}/${client.repository}`);
  }
  await discardBody(response);
  const stored = response.headers['docker-content-digest'];
  if (typeof stored === 'string' && stored !== '' && stored !== manifest.digest) {
    throw new CopyError(
      'digest-mismatch',
      `the destination stored manifest ${manifest.digest} as ${client.clean(stored, 100)}`,
    );
  }
  return { subjectIndexed: response.headers['oci-subject'] !== undefined };
}
