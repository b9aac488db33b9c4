import { createHash } from 'node:crypto';
import { CopyError } from './errors';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Every manifest type the engine copies, for the Accept header. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
// Layers that registries are not allowed to redistribute (Windows base layers); like skopeo, they are not copied.
const FOREIGN_LAYER = /(foreign|nondistributable)/;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: { architecture?: string; os?: string; variant?: string };
}

/** A manifest exactly as the registry served it (its bytes are what the digest covers). */
export interface RawManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

export type ParsedManifest =
  { kind: 'index'; manifests: Descriptor[] } | { kind: 'image'; blobs: Descriptor[] };

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (
    !d ||
    typeof d.digest !== 'string' ||
    !DIGEST.test(d.digest) ||
    typeof d.size !== 'number' ||
    d.size < 0
  ) {
    throw new CopyError('unsupported', `${where}: descriptor needs a sha256 digest and a size`);
  }
  return { ...d, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '' } as Descriptor;
}

/** The media type to use: the body's `mediaType` when present, else the Content-Type the registry sent. */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof body.mediaType === 'string' && body.mediaType) return body.mediaType;
    if (Array.isArray(body.manifests)) return MEDIA_TYPES.ociIndex;
  } catch {
    // Not JSON: the parse step reports it.
  }
  return (contentType ?? '').split(';')[0].trim() || MEDIA_TYPES.ociManifest;
}

/** Lists the children of an index, or the config and layer blobs of an image manifest. */
export function parseManifest(raw: RawManifest): ParsedManifest {
  let body: {
    manifests?: unknown[];
    config?: unknown;
    layers?: unknown[];
    blobs?: unknown[];
    schemaVersion?: number;
  };
  try {
    body = JSON.parse(raw.bytes.toString('utf8'));
  } catch (error) {
    throw new CopyError('unsupported', `manifest ${raw.digest} is not JSON`, { cause: error });
  }
  const where = `manifest ${raw.digest}`;
  if (INDEX_TYPES.has(raw.mediaType)) {
    return { kind: 'index', manifests: (body.manifests ?? []).map((m) => descriptor(m, where)) };
  }
  if (IMAGE_TYPES.has(raw.mediaType) || (body.schemaVersion === 2 && body.config)) {
    const blobs = [
      ...(body.config ? [descriptor(body.config, where)] : []),
      ...(body.layers ?? []).map((l) => descriptor(l, where)),
    ];
    return {
      kind: 'image',
      blobs: blobs.filter((b) => !(FOREIGN_LAYER.test(b.mediaType) && b.urls?.length)),
    };
  }
  throw new CopyError(
    'unsupported',
    `${where} has media type "${raw.mediaType}"; supported: OCI/Docker image manifests and indexes`,
  );
}
