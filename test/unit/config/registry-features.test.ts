import type { ConfigDocument } from '../../fixtures/config/base-config';
import { runCases } from './problems';

/** ECR 2025-26 registry features: archive lifecycle, one untagged rule, CREATE_ON_PUSH, template cross-checks. */

const rule = (rulePriority: number, selection: Record<string, unknown>, action: Record<string, unknown>) => ({
  rulePriority,
  selection,
  action,
});
const ARCHIVE = { type: 'transition', targetStorageClass: 'archive' };
const EXPIRE = { type: 'expire' };
/** repositories[1] (payments/worker) has no lifecycle in the base: rules set there are the whole policy. */
const setRules = (d: ConfigDocument, ...rules: unknown[]) => (d.repositories[1].lifecycle = { rules });
const R = 'repositories[1].lifecycle.rules';

runCases('lifecycle archive storage class', [
  {
    name: 'transition to archive 30 days after the last pull: valid',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          {
            tagStatus: 'tagged',
            tagPatternList: ['v*'],
            countType: 'sinceImagePulled',
            countUnit: 'days',
            countNumber: 30,
          },
          ARCHIVE,
        ),
      ),
    lines: [],
  },
  {
    name: 'transition by count and expire from the archive after 90 days: valid',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'imageCountMoreThan', countNumber: 20 },
          ARCHIVE,
        ),
        rule(
          2,
          {
            tagStatus: 'tagged',
            tagPatternList: ['v*'],
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 90,
          },
          EXPIRE,
        ),
      ),
    lines: [],
  },
  {
    name: 'transition without targetStorageClass',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 },
          { type: 'transition' },
        ),
      ),
    lines: [
      `${R}[0].action.targetStorageClass: expected targetStorageClass "archive" with action type transition, but it is missing`,
    ],
  },
  {
    name: 'expire with a targetStorageClass',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 },
          { type: 'expire', targetStorageClass: 'archive' },
        ),
      ),
    lines: [
      `${R}[0].action.targetStorageClass: expected no targetStorageClass with action type expire, got "archive"`,
    ],
  },
  {
    name: 'an unknown target storage class',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 },
          { type: 'transition', targetStorageClass: 'glacier' },
        ),
      ),
    lines: [`${R}[0].action.targetStorageClass: expected "archive", got "glacier"`],
  },
  {
    name: 'sinceImagePulled with expire',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 3 },
          EXPIRE,
        ),
      ),
    lines: [
      `${R}[0].selection.countType: expected countType sinceImagePulled only with action type transition, got action type expire`,
    ],
  },
  {
    name: 'sinceImageTransitioned with transition',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          {
            tagStatus: 'untagged',
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 90,
          },
          ARCHIVE,
        ),
      ),
    lines: [
      `${R}[0].selection.countType: expected countType sinceImageTransitioned only with action type expire, got action type transition`,
    ],
  },
  {
    name: 'sinceImageTransitioned without storageClass archive',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 },
          EXPIRE,
        ),
      ),
    lines: [
      `${R}[0].selection.storageClass: expected storageClass archive with countType sinceImageTransitioned, got none`,
    ],
  },
  {
    name: 'sinceImageTransitioned under the 90-day archive minimum',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          {
            tagStatus: 'untagged',
            storageClass: 'archive',
            countType: 'sinceImageTransitioned',
            countUnit: 'days',
            countNumber: 30,
          },
          EXPIRE,
        ),
      ),
    lines: [
      `${R}[0].selection.countNumber: expected at least 90 days with countType sinceImageTransitioned (ECR keeps archived images 90 days at least), got 30`,
    ],
  },
  {
    name: 'storageClass archive with sinceImagePushed',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          {
            tagStatus: 'untagged',
            storageClass: 'archive',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 30,
          },
          EXPIRE,
        ),
      ),
    lines: [
      `${R}[0].selection.storageClass: expected storageClass standard (or none) with countType sinceImagePushed: only sinceImageTransitioned selects archived images`,
    ],
  },
  {
    name: 'sinceImagePulled without countUnit',
    change: (d) =>
      setRules(
        d,
        rule(1, { tagStatus: 'untagged', countType: 'sinceImagePulled', countNumber: 30 }, ARCHIVE),
      ),
    lines: [
      `${R}[0].selection.countUnit: expected countUnit "days" with countType sinceImagePulled, but it is missing`,
    ],
  },
  {
    name: 'an unknown countType',
    change: (d) =>
      setRules(d, rule(1, { tagStatus: 'untagged', countType: 'sinceImageBuilt', countNumber: 3 }, EXPIRE)),
    lines: [
      `${R}[0].selection.countType: expected one of imageCountMoreThan, sinceImagePushed, sinceImagePulled, sinceImageTransitioned, got "sinceImageBuilt"`,
    ],
  },
  {
    name: 'the archive preset: valid next to the other presets',
    change: (d) => (d.repositories[0].lifecycle.archiveUnpulledAfterDays = 60),
    lines: [],
  },
  {
    name: 'the archive preset next to a raw tagStatus any rule',
    change: (d) => (d.repositories[2].lifecycle.archiveUnpulledAfterDays = 60),
    lines: [
      'repositories[2].lifecycle.archiveUnpulledAfterDays: expected no tagStatus any rule next to archiveUnpulledAfterDays (both select every image and only one can be evaluated last), got lifecycle.rules[0]',
    ],
  },
]);

runCases('one untagged-selecting rule per lifecycle policy', [
  {
    name: 'untaggedAfterDays and a raw untagged rule',
    change: (d) => {
      d.repositories[2].lifecycle.rules.unshift(
        rule(10, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 5 }, EXPIRE),
      );
    },
    lines: [
      'repositories[2].lifecycle.rules[0].selection.tagStatus: expected at most one lifecycle rule selecting untagged images per policy, repositories[2].lifecycle.untaggedAfterDays already does',
    ],
  },
  {
    name: 'two raw untagged rules in a creation template',
    change: (d) => {
      d.creationTemplates[0].lifecycle = {
        rules: [
          rule(
            1,
            { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 },
            EXPIRE,
          ),
          rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 5 }, EXPIRE),
        ],
      };
    },
    lines: [
      'creationTemplates[0].lifecycle.rules[1].selection.tagStatus: expected at most one lifecycle rule selecting untagged images per policy, creationTemplates[0].lifecycle.rules[0] already does',
    ],
  },
  {
    name: 'one untagged rule and one tagged rule: valid',
    change: (d) =>
      setRules(
        d,
        rule(
          1,
          { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 3 },
          EXPIRE,
        ),
        rule(
          2,
          {
            tagStatus: 'tagged',
            tagPatternList: ['pr-*'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 3,
          },
          EXPIRE,
        ),
      ),
    lines: [],
  },
]);

runCases('creation templates', [
  {
    name: 'a CREATE_ON_PUSH template: valid',
    change: (d) =>
      d.creationTemplates.push({
        prefix: 'sandbox',
        appliedFor: ['CREATE_ON_PUSH'],
        tagMutability: 'IMMUTABLE',
      }),
    lines: [],
  },
  {
    name: 'an unknown appliedFor',
    change: (d) => (d.creationTemplates[0].appliedFor = ['ON_PULL']),
    lines: [
      'creationTemplates[0].appliedFor[0]: expected REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH, got "ON_PULL"',
    ],
  },
  {
    name: 'a ROOT replication template freezing the auto-tags and promotion tags of a replicated repository',
    change: (d) => {
      d.repositories[0].tagMutability = 'MUTABLE_WITH_EXCLUSION';
      d.repositories[0].mutabilityExclusions = ['v*.*.*'];
      d.repositories[0].autoTag = [{ type: 'semver', prefix: 'v', latest: true }];
      d.repositories[0].scan = { promoteTo: ['scanned'] };
      d.creationTemplates[0].tagMutability = 'IMMUTABLE_WITH_EXCLUSION';
      d.creationTemplates[0].mutabilityExclusions = ['latest'];
    },
    lines: [
      'creationTemplates[0].tagMutability: expected the tags payments/api moves to be mutable in its replicas (replication.rules[0]): v<major>.<minor> (repositories[0].autoTag[0]), v<major> (repositories[0].autoTag[0]), scanned (repositories[0].scan.promoteTo[0]); under tagMutability IMMUTABLE_WITH_EXCLUSION "v1.4" matches no exclusion filter',
    ],
  },
  {
    name: 'the same template with the moving tags excluded from immutability: valid',
    change: (d) => {
      d.repositories[0].tagMutability = 'MUTABLE_WITH_EXCLUSION';
      d.repositories[0].mutabilityExclusions = ['v*.*.*'];
      d.repositories[0].autoTag = [{ type: 'semver', prefix: 'v', latest: true }];
      d.creationTemplates[0].tagMutability = 'MUTABLE_WITH_EXCLUSION';
      d.creationTemplates[0].mutabilityExclusions = ['v*.*.*'];
    },
    lines: [],
  },
  {
    name: 'an IMMUTABLE template for a prefix no native rule replicates: valid',
    change: (d) => {
      d.creationTemplates.push({
        prefix: 'platform',
        appliedFor: ['REPLICATION'],
        tagMutability: 'IMMUTABLE',
      });
      d.repositories[2].autoTag = [{ type: 'semver', latest: true }];
    },
    lines: [],
  },
  {
    name: 'a longer prefix template takes the replicas from ROOT',
    change: (d) => {
      d.creationTemplates.push({
        prefix: 'payments',
        appliedFor: ['REPLICATION'],
        tagMutability: 'IMMUTABLE',
      });
    },
    lines: [
      'creationTemplates[1].tagMutability: expected the tags payments/api moves to be mutable in its replicas (replication.rules[0]): sha-{match} (repositories[0].autoTag[0]); under tagMutability IMMUTABLE every tag is immutable',
    ],
  },
]);

runCases('blob mounting', [
  { name: 'blobMounting true: valid', change: (d) => (d.blobMounting = true), lines: [] },
  {
    name: 'blobMounting as a string',
    change: (d) => (d.blobMounting = 'yes'),
    lines: ['blobMounting: expected true or false, got "yes"'],
  },
]);
