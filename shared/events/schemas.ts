// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';
import {
  accountId,
  digest,
  isoTime,
  optionalSingleTag,
  region,
  repositoryArnOrName,
  repositoryName,
  severity,
  severityCounts,
  tagList,
  MAX_TAGS,
} from './fields';

/**
 * Schemas for the raw EventBridge events Harbormaster consumes, written against AWS's published
 * samples (Amazon ECR "Amazon ECR events and EventBridge"; Amazon Inspector "Amazon EventBridge event
 * schema for Amazon Inspector events"). Objects are loose: AWS adds fields over time and an unknown
 * extra field must not dead-letter a real event. Only this module sees hyphenated keys and ARNs.
 */

/** The EventBridge envelope (as delivered to a rule target, and as the SQS message body). */
export const envelopeSchema = z.looseObject({
  version: z.string({ error: 'expected the EventBridge envelope version as a string' }),
  id: z
    .string({ error: 'expected the event id as a string' })
    .min(1, { error: 'expected a non-empty event id' }),
  'detail-type': z.string({ error: 'expected the event detail-type as a string' }),
  source: z.string({ error: 'expected the event source as a string' }),
  account: accountId,
  time: isoTime,
  region,
  resources: z
    .array(z.string({ error: 'expected a resource ARN string' }), {
      error: 'expected an array of resource ARNs',
    })
    .max(MAX_TAGS, { error: `expected at most ${MAX_TAGS} resources` })
    .optional(),
  detail: z.record(z.string(), z.unknown(), { error: 'expected the event detail object' }),
});
export type Envelope = z.output<typeof envelopeSchema>;

/** `ECR Image Action` (PUSH, DELETE, UPDATE_STORAGE_CLASS) with result SUCCESS. */
export const ecrImageActionSchema = z.looseObject({
  'action-type': z.string({ error: 'expected action-type as a string' }),
  result: z.enum(['SUCCESS', 'FAILED'], { error: 'expected result SUCCESS or FAILED' }),
  'repository-name': repositoryName,
  'image-digest': digest,
  'image-tag': optionalSingleTag,
  'manifest-media-type': z.string({ error: 'expected a media type string' }).optional(),
  /** Not in AWS's published samples yet; read when present for archive/restore. */
  'target-storage-class': z.string({ error: 'expected a storage class string' }).optional(),
  'storage-class': z.string({ error: 'expected a storage class string' }).optional(),
});

/** `ECR Image Scan` (basic scanning) with scan-status COMPLETE. */
export const ecrImageScanSchema = z.looseObject({
  'scan-status': z.string({ error: 'expected scan-status as a string' }),
  'repository-name': repositoryName,
  'image-digest': digest,
  'image-tags': tagList,
  'finding-severity-counts': severityCounts,
});

/** `ECR Replication Action`: result SUCCESS or FAILED, in the destination region. */
export const ecrReplicationActionSchema = z.looseObject({
  'action-type': z.string({ error: 'expected action-type as a string' }).optional(),
  result: z.enum(['SUCCESS', 'FAILED'], { error: 'expected result SUCCESS or FAILED' }),
  'repository-name': repositoryName,
  'image-digest': digest,
  'image-tag': optionalSingleTag,
  'source-account': accountId.optional(),
  'source-region': region.optional(),
});

/** `Inspector2 Scan` (enhanced scanning): repository-name is the repository ARN; counts CRITICAL/HIGH/MEDIUM/TOTAL. */
export const inspectorScanSchema = z.looseObject({
  'scan-status': z.string({ error: 'expected scan-status as a string' }),
  'repository-name': repositoryArnOrName,
  'image-digest': digest,
  'image-tags': tagList,
  'finding-severity-counts': severityCounts,
});

const vulnerablePackageSchema = z.looseObject({
  name: z.string({ error: 'expected a package name' }).optional(),
  version: z.string({ error: 'expected a package version' }).optional(),
  release: z.string({ error: 'expected a package release' }).optional(),
  fixedInVersion: z.string({ error: 'expected a fixed-in version' }).optional(),
});

/** `Inspector2 Finding` for an AWS_ECR_CONTAINER_IMAGE resource (camelCase keys). */
export const inspectorFindingSchema = z.looseObject({
  findingArn: z.string({ error: 'expected the finding ARN' }).optional(),
  severity,
  status: z.string({ error: 'expected the finding status (ACTIVE, SUPPRESSED or CLOSED)' }),
  type: z.string({ error: 'expected the finding type' }).optional(),
  title: z.string({ error: 'expected the finding title' }).optional(),
  packageVulnerabilityDetails: z.looseObject(
    {
      vulnerabilityId: z
        .string({ error: 'expected a vulnerability id such as CVE-2024-3094' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$/, {
          error: 'expected a vulnerability id such as CVE-2024-3094',
        }),
      sourceUrl: z.string({ error: 'expected a URL string' }).optional(),
      vulnerablePackages: z
        .array(vulnerablePackageSchema, { error: 'expected an array of vulnerable packages' })
        .max(MAX_TAGS, { error: `expected at most ${MAX_TAGS} vulnerable packages` })
        .optional(),
    },
    { error: 'expected packageVulnerabilityDetails for a package vulnerability finding' },
  ),
  resources: z
    .array(
      z.looseObject({
        type: z.string({ error: 'expected the resource type' }),
        details: z.looseObject({
          awsEcrContainerImage: z.looseObject(
            {
              repositoryName,
              imageHash: digest,
              imageTags: tagList,
            },
            { error: 'expected awsEcrContainerImage details' },
          ),
        }),
      }),
      { error: 'expected an array of resources' },
    )
    .min(1, { error: 'expected at least one resource' }),
});

/** Just enough of an Inspector finding to decide whether it is about an ECR image. */
export const inspectorFindingResourceTypeSchema = z.looseObject({
  resources: z
    .array(z.looseObject({ type: z.string({ error: 'expected the resource type' }) }), {
      error: 'expected an array of resources',
    })
    .min(1, { error: 'expected at least one resource' }),
});
