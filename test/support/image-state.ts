import type { ImageStateStore } from '../../shared/state/image-state-store';
import type { ImageStateData, StoredVerdict } from '../../shared/state/image-state';
import { emptyCounts, type SeverityCounts } from '../../shared/domain/types';

/**
 * Fixtures for the readers of the image-state table (gate, promote, backfill): states written through the
 * real store (claim + commit, as the scan path writes them), and a buildx-style multi-arch index.
 */

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

let seeded = 0;

/** Writes `data` as the image's state (after recording `parents`), the way the scan path commits it. */
export async function seedState(
  store: ImageStateStore,
  data: ImageStateData,
  parents: readonly string[] = [],
): Promise<void> {
  const key = { repository: data.repository, digest: data.digest };
  for (const parent of parents) await store.addParent(key, parent);
  seeded += 1;
  const claimed = await store.claim(key, `seed-${seeded}`, { now: 1_000, leaseMs: 1_000 });
  if (claimed.status !== 'claimed') throw new Error(`seedState: ${key.digest} was not claimed`);
  await store.commit(claimed.lease, claimed.state, data);
}

/** A recorded verdict as the scan path stores it. */
export function recorded(
  result: 'pass' | 'fail',
  reason: string,
  counts: Partial<SeverityCounts> = {},
): StoredVerdict {
  const all = { ...emptyCounts(), ...counts };
  const highest = (['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const).find(
    (s) => all[s] > 0,
  );
  return {
    result,
    reason,
    ...(highest ? { highestSeverity: highest } : {}),
    counts: all,
    findingSetHash: `hash-${reason}`,
    topFindings:
      result === 'fail' && highest
        ? [{ id: 'CVE-2024-9999', severity: highest, packageName: 'openssl' }]
        : [],
    allowlisted: [],
    scanner: 'basic',
    eventId: 'evt-scan',
    time: '2026-11-20T09:00:00Z',
  };
}

export interface IndexChildFixture {
  readonly digest: string;
  /** `linux/amd64`; `unknown/unknown` makes a buildx attestation manifest. */
  readonly platform: string;
}

/** A buildx-style OCI index: platform manifests, and attestation manifests annotated as such. */
export function indexManifest(children: readonly IndexChildFixture[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX_TYPE,
    manifests: children.map((c) => {
      const [os, architecture] = c.platform.split('/');
      return {
        mediaType: MANIFEST_TYPE,
        digest: c.digest,
        size: 1024,
        platform: { os, architecture },
        ...(os === 'unknown'
          ? {
              annotations: {
                'vnd.docker.reference.type': 'attestation-manifest',
                'vnd.docker.reference.digest': children[0].digest,
              },
            }
          : {}),
      };
    }),
  });
}

export const OCI_INDEX_MEDIA_TYPE = INDEX_TYPE;
export const OCI_MANIFEST_MEDIA_TYPE = MANIFEST_TYPE;
