import { createHash } from 'node:crypto';
import type { Descriptor } from '../../oci/manifest';
import type { FetchedManifest, ReferrerDescriptor, SignatureSource } from '../../signing/registry-source';
import type { Recorder } from './recording-clients';

/**
 * The signature artifacts `simulate --signatures` serves in place of the registry API: manifests (by their
 * digest, and a tag such as cosign's `sha256-<hex>.sig`) and blobs (by their digest), so the scan function's
 * REAL verification (shared/signing) runs on them. Digests are computed from the bytes given, never taken
 * from the file, so nothing can claim a digest it does not have.
 */
export class SimulatedSignatures {
  private readonly manifests = new Map<string, Buffer>();
  private readonly blobs = new Map<string, Buffer>();

  /** Stores a manifest's exact bytes under its digest (and `tag`); returns the digest. */
  addManifest(bytes: Buffer, tag?: string): string {
    const digest = digestOf(bytes);
    this.manifests.set(digest, bytes);
    if (tag) this.manifests.set(tag, bytes);
    return digest;
  }

  addBlob(bytes: Buffer): string {
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  /** The registry reads of one repository, recorded as the function's reads. */
  source(repository: string, recorder: Recorder): SignatureSource {
    let requests = 0;
    const read = (what: string): void => {
      requests += 1;
      recorder.reads.push(`GET ${repository}/${what}`);
    };
    return {
      get requests() {
        return requests;
      },
      manifest: async (reference): Promise<FetchedManifest | undefined> => {
        read(`manifests/${reference}`);
        const bytes = this.manifests.get(reference);
        return bytes ? { digest: digestOf(bytes), bytes, body: parse(bytes) } : undefined;
      },
      blob: async (descriptor: Descriptor): Promise<Buffer> => {
        read(`blobs/${descriptor.digest}`);
        const bytes = this.blobs.get(descriptor.digest);
        // As the registry source reports a missing blob (a broken signature, not a failure).
        if (!bytes)
          throw Object.assign(new Error(`blob ${descriptor.digest} unknown`), { cause: { status: 404 } });
        return bytes;
      },
      // ECR has the referrers API: every manifest given whose subject is the digest.
      referrers: async (digest): Promise<ReferrerDescriptor[]> => {
        read(`referrers/${digest}`);
        const found: ReferrerDescriptor[] = [];
        for (const [reference, bytes] of this.manifests) {
          if (!reference.startsWith('sha256:')) continue;
          const body = parse(bytes) as {
            mediaType?: string;
            artifactType?: string;
            subject?: { digest?: string };
          };
          if (body.subject?.digest !== digest) continue;
          found.push({
            mediaType: body.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
            digest: reference,
            size: bytes.length,
            ...(body.artifactType ? { artifactType: body.artifactType } : {}),
          });
        }
        return found;
      },
    };
  }
}

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function parse(bytes: Buffer): Record<string, unknown> {
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
}
