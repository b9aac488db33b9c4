import { createHash } from 'node:crypto';
import type { Descriptor } from '../../../shared/oci/manifest';
import type {
  FetchedManifest,
  ReferrerDescriptor,
  SignatureSource,
} from '../../../shared/signing/registry-source';
import { SIGNATURE_MEDIA_TYPES } from '../../../shared/signing/types';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * One ECR repository as the signature reader sees it through the registry API (manifests by tag or digest,
 * blobs, the OCI referrers API ECR has), in memory, logging every request the way the distribution API
 * names it: `GET manifests/<ref>`, `GET blobs/<digest>`, `GET referrers/<digest>`.
 */
export class SignatureRegistry {
  readonly requestLog: string[] = [];
  private readonly manifests = new Map<string, Buffer>();
  private readonly blobs = new Map<string, Buffer>();
  /** The SignatureSource over this repository (what ecrSignatureSource gives the function). */
  readonly source: SignatureSource;

  constructor() {
    const { requestLog: log, manifests, blobs } = this;
    this.source = {
      manifest: async (reference) => {
        log.push(`GET manifests/${reference}`);
        const bytes = manifests.get(reference);
        if (!bytes) return undefined;
        return {
          digest: digestOf(bytes),
          bytes,
          body: JSON.parse(bytes.toString('utf8')),
        } as FetchedManifest;
      },
      blob: async (descriptor: Descriptor) => {
        log.push(`GET blobs/${descriptor.digest}`);
        const bytes = blobs.get(descriptor.digest);
        if (!bytes) throw Object.assign(new Error('blob unknown'), { cause: { status: 404 } });
        return bytes;
      },
      referrers: async (digest) => {
        log.push(`GET referrers/${digest}`);
        const found: ReferrerDescriptor[] = [];
        for (const [reference, bytes] of manifests) {
          if (!reference.startsWith('sha256:')) continue;
          const body = JSON.parse(bytes.toString('utf8'));
          if (body.subject?.digest !== digest) continue;
          found.push({
            mediaType: body.mediaType,
            digest: reference,
            size: bytes.length,
            artifactType: body.artifactType,
          });
        }
        return found;
      },
      get requests() {
        return log.length;
      },
    };
  }

  blob(content: Buffer | string): Descriptor & { mediaType: string } {
    const bytes = Buffer.from(content);
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType: 'application/octet-stream', digest, size: bytes.length };
  }

  /** Stores a manifest under its digest (and a tag); returns its descriptor. */
  putManifest(
    body: Record<string, unknown>,
    tag?: string,
  ): { mediaType: string; digest: string; size: number } {
    const bytes = Buffer.from(JSON.stringify(body));
    const digest = digestOf(bytes);
    this.manifests.set(digest, bytes);
    if (tag) this.manifests.set(tag, bytes);
    return { mediaType: String(body.mediaType), digest, size: bytes.length };
  }

  /** A Notation signature of `subject` as ECR managed signing stores it: an OCI referrer with the JWS layer. */
  notationReferrer(subject: { mediaType: string; digest: string; size: number }, envelope: Buffer) {
    const empty = this.blob('{}');
    const layer = this.blob(envelope);
    const manifest = this.putManifest({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: SIGNATURE_MEDIA_TYPES.notationSignature,
      config: { ...empty, mediaType: 'application/vnd.oci.empty.v1+json' },
      layers: [{ ...layer, mediaType: SIGNATURE_MEDIA_TYPES.jwsEnvelope }],
      subject,
    });
    return { ...manifest, envelope: layer.digest };
  }

  /** The cosign `sha256-<hex>.sig` tag with one simple-signing layer per signature. */
  cosignTag(subjectDigest: string, signatures: { payload: Buffer; signature: string }[]) {
    const config = this.blob('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}');
    const layers = signatures.map(({ payload, signature }) => ({
      ...this.blob(payload),
      mediaType: SIGNATURE_MEDIA_TYPES.cosignSimpleSigning,
      annotations: { 'dev.cosignproject.cosign/signature': signature },
    }));
    const manifest = this.putManifest(
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers,
      },
      `${subjectDigest.replace(':', '-')}.sig`,
    );
    return { ...manifest, layers: layers.map((layer) => layer.digest) };
  }
}
