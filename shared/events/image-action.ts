import type { Ignored, NormalizedEvent } from '../domain/types';
import { DETAIL, eventBase, type Envelope } from './dispatch';
import { describeValue } from './errors';
import { readDigest, readOptionalSingleTag, readRepositoryName } from './field-readers';
import { readOptionalString, readString, valueError, type RawObject } from './read';

/**
 * `ECR Image Action` (push, delete, archive/restore), as AWS publishes it (the scan function reads index
 * pushes with it too, so it stands apart from the replication reader)
 * (Amazon ECR "Amazon ECR events and EventBridge"): hyphenated keys, one `image-tag` string (empty for a
 * push by digest). Fields are read in the order written; the first bad one is the one an error names.
 */

const RESULTS: readonly string[] = ['SUCCESS', 'FAILED'];
const ACTION_TYPE_EXPECTED = 'expected action-type as a string';
const STORAGE_CLASS_EXPECTED = 'expected a storage class string';

/** `result`, then the image fields ECR Image Action and ECR Replication Action share. */
export function readActionImage(detail: RawObject) {
  const result = detail.result;
  if (typeof result !== 'string' || !RESULTS.includes(result))
    throw valueError(['detail', 'result'], 'expected result SUCCESS or FAILED', result);
  return {
    result: result as 'SUCCESS' | 'FAILED',
    repository: readRepositoryName(detail, 'repository-name', DETAIL),
    digest: readDigest(detail, 'image-digest', DETAIL),
    tags: readOptionalSingleTag(detail, 'image-tag', DETAIL),
  };
}

export function ecrImageAction(envelope: Envelope): NormalizedEvent | Ignored {
  const { detail } = envelope;
  const action = detail['action-type'];
  if (detail.result === 'FAILED') {
    // A failed action changed nothing in the repository; there is nothing to audit or tag.
    return { ignored: `ECR Image Action ${describeValue(action)} with result FAILED changed nothing` };
  }
  if (typeof action === 'string' && !['PUSH', 'DELETE', 'UPDATE_STORAGE_CLASS'].includes(action)) {
    return { ignored: `ECR Image Action with action-type ${describeValue(action)} is not handled` };
  }
  readString(detail, 'action-type', DETAIL, ACTION_TYPE_EXPECTED);
  const { repository, digest, tags } = readActionImage(detail);
  const mediaType = readOptionalString(detail, 'manifest-media-type', DETAIL, 'expected a media type string');
  /** target-storage-class is not in AWS's published samples yet; read when present for archive/restore. */
  const targetStorageClass = readOptionalString(
    detail,
    'target-storage-class',
    DETAIL,
    STORAGE_CLASS_EXPECTED,
  );
  const storageClass = readOptionalString(detail, 'storage-class', DETAIL, STORAGE_CLASS_EXPECTED);
  const common = { ...eventBase(envelope), repository, digest, tags };
  switch (action) {
    case 'PUSH':
      return { ...common, kind: 'image.pushed', ...(mediaType ? { mediaType } : {}) };
    case 'DELETE':
      return { ...common, kind: 'image.deleted' };
    default: {
      const storage = targetStorageClass ?? storageClass;
      return {
        ...common,
        kind: 'image.storage-class-changed',
        ...(storage ? { storageClass: storage } : {}),
      };
    }
  }
}
