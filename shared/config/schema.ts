// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';
import {
  accountId,
  awsRegion,
  email,
  imageTag,
  isoDate,
  nonEmptyString,
  positiveInt,
  principal,
  repositoryName,
  secretName,
  severityThreshold,
  tagPattern,
} from './primitives';

/**
 * The Harbormaster config file, as a schema. Every object is strict so a misspelt key is an error,
 * not a silently ignored setting. Cross-field rules that ECR enforces at deploy time live in
 * ./checks (one small pure function per rule) and run after this schema.
 */

export const encryptionSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('AES256') }),
    z.strictObject({
      type: z.literal('KMS'),
      /** An existing key; when omitted ECR uses the AWS managed key aws/ecr. */
      kmsKeyArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, {
          error: 'expected a KMS key ARN',
        })
        .optional(),
    }),
  ],
  { error: 'expected {type: AES256} or {type: KMS, kmsKeyArn?}' },
);

export const tagMutabilitySchema = z.enum(
  ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'],
  { error: 'expected one of MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION' },
);

/** A raw ECR lifecycle rule, exactly as ECR's lifecycle policy JSON spells it (archive storage class included). */
export const rawLifecycleRuleSchema = z.strictObject({
  rulePriority: positiveInt,
  description: z.string().max(256).optional(),
  selection: z.strictObject({
    tagStatus: z.enum(['tagged', 'untagged', 'any'], { error: 'expected one of tagged, untagged, any' }),
    tagPrefixList: z.array(nonEmptyString).min(1).optional(),
    tagPatternList: z.array(tagPattern).min(1).optional(),
    /** The storage class the rule selects from: archive only with countType sinceImageTransitioned. */
    storageClass: z.enum(['standard', 'archive'], { error: 'expected standard or archive' }).optional(),
    countType: z.enum(
      ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'],
      {
        error:
          'expected one of imageCountMoreThan, sinceImagePushed, sinceImagePulled, sinceImageTransitioned',
      },
    ),
    countUnit: z.literal('days', { error: 'expected "days"' }).optional(),
    countNumber: positiveInt,
  }),
  action: z.strictObject({
    type: z.enum(['expire', 'transition'], { error: 'expected expire or transition' }),
    /** With type transition: the storage class images move to (archive is the only one). */
    targetStorageClass: z.literal('archive', { error: 'expected "archive"' }).optional(),
  }),
});

export const lifecycleSchema = z.strictObject({
  /** Expire untagged images this many days after push. */
  untaggedAfterDays: positiveInt.optional(),
  /** Keep only the last N images whose tags match the repository's releaseTags. */
  keepLast: positiveInt.optional(),
  /** Expire images whose tags match these patterns (e.g. pr-*) this many days after push. */
  ephemeral: z
    .array(z.strictObject({ tagPatterns: z.array(tagPattern).min(1), afterDays: positiveInt }))
    .optional(),
  /**
   * Archive images not pulled for this many days (ECR's archive storage class: cheaper, not pullable until
   * restored, 90 days minimum). One tagStatus any rule, placed after every other rule.
   */
  archiveUnpulledAfterDays: positiveInt.optional(),
  /** Raw ECR lifecycle rules, appended after the presets. */
  rules: z.array(rawLifecycleRuleSchema).optional(),
});

export const accessSchema = z.strictObject({
  /** Principals that push (CI roles). */
  push: z.array(principal).default([]),
  /** Principals that pull (runtime roles, other accounts). */
  pull: z.array(principal).default([]),
  /** Principals that may delete images and the repository. */
  admin: z.array(principal).default([]),
});

export const allowlistEntrySchema = z.strictObject({
  /** A CVE or vulnerability id, e.g. CVE-2024-3094 or GHSA-xxxx. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$/, {
    error: 'expected a vulnerability id such as CVE-2024-3094',
  }),
  reason: nonEmptyString,
  /** The entry stops applying after this day (UTC). */
  expires: isoDate,
});

export const autoTagRuleSchema = z.discriminatedUnion(
  'type',
  [
    /** 1.4.2 also gets 1.4 and 1 (and latest when it is the highest stable version, if latest: true). */
    z.strictObject({
      type: z.literal('semver'),
      latest: z.boolean().default(false),
      /** Optional prefix such as "v" that pushed tags carry and derived tags keep. */
      prefix: z
        .string()
        .regex(/^[A-Za-z]*$/)
        .default(''),
    }),
    /** A push whose tag matches `match` also gets `tag`, where {tag}, {match} (the * part) and {digest12} expand. */
    z.strictObject({
      type: z.literal('pattern'),
      match: tagPattern,
      tag: z
        .string()
        .regex(/^[A-Za-z0-9._{}-]{1,128}$/, { error: 'expected a tag template such as sha-{match}' }),
    }),
  ],
  { error: 'expected an auto-tag rule with type semver or pattern' },
);

/** What the scan automation does for one repository. */
export const scanPolicySchema = z.strictObject({
  /** The highest severity a passing image may carry (findings above it fail the image). */
  maxSeverity: severityThreshold.default('MEDIUM'),
  allowlist: z.array(allowlistEntrySchema).default([]),
  /** Tags added to an image that passes its scan (build once, tag many). */
  promoteTo: z.array(imageTag).default([]),
  /** Remove release tags from an image that fails its scan (the image itself is kept). */
  quarantine: z.boolean().default(false),
  /** Fail the verdict of an image without a valid signature from one of `trustedSigners` (default false). */
  requireSignature: z.boolean().optional(),
  /** Keys of `signing.signers` whose signatures count for this repository. */
  trustedSigners: z.array(nonEmptyString).optional(),
});

/** Settings shared by managed repositories and by creation templates. */
const repositorySettingsShape = {
  encryption: encryptionSchema.default({ type: 'AES256' }),
  tagMutability: tagMutabilitySchema.default('MUTABLE'),
  /** Wildcard filters excepted from the mutability setting (at most 5). */
  mutabilityExclusions: z.array(tagPattern).default([]),
  lifecycle: lifecycleSchema.optional(),
  access: accessSchema.default({ push: [], pull: [], admin: [] }),
  /** Resource tags. */
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
};

export const repositorySchema = z.strictObject({
  name: repositoryName,
  /** A key of `teams`: who owns it and receives its alerts. */
  team: nonEmptyString,
  ...repositorySettingsShape,
  scanOnPush: z.boolean().default(true),
  /** Tag patterns that mark a release: kept by lifecycle keepLast, removed by quarantine, replicated by default. */
  releaseTags: z.array(tagPattern).default([]),
  /** RETAIN keeps the repository and its images after `cdk destroy`. */
  removalPolicy: z.enum(['retain', 'destroy'], { error: 'expected retain or destroy' }).default('retain'),
  autoTag: z.array(autoTagRuleSchema).default([]),
  scan: scanPolicySchema.default({ maxSeverity: 'MEDIUM', allowlist: [], promoteTo: [], quarantine: false }),
});

export const creationTemplateSchema = z.strictObject({
  /** Repository name prefix the template applies to, or ROOT for every repository. */
  prefix: z.union([z.literal('ROOT'), z.string().regex(/^[a-z0-9]+(?:[._/-][a-z0-9]+)*\/?$/)], {
    error: 'expected ROOT or a repository name prefix',
  }),
  appliedFor: z
    .array(
      z.enum(['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'], {
        error: 'expected REPLICATION, PULL_THROUGH_CACHE or CREATE_ON_PUSH',
      }),
    )
    .min(1),
  description: z.string().max(256).optional(),
  ...repositorySettingsShape,
  /** Tag patterns kept by the template's lifecycle keepLast preset. */
  releaseTags: z.array(tagPattern).default([]),
});

export const scanningSchema = z.strictObject({
  type: z.enum(['BASIC', 'ENHANCED'], { error: 'expected BASIC or ENHANCED' }),
  rules: z
    .array(
      z.strictObject({
        /** CONTINUOUS_SCAN needs ENHANCED; repositories no rule matches are scanned manually only. */
        frequency: z.enum(['SCAN_ON_PUSH', 'CONTINUOUS_SCAN'], {
          error: 'expected SCAN_ON_PUSH or CONTINUOUS_SCAN',
        }),
        /** Repository name filters; "*" is a wildcard. */
        filters: z
          .array(
            z
              .string()
              .regex(/^[a-z0-9*._/-]{1,256}$/, { error: 'expected a repository filter such as payments/*' }),
          )
          .min(1)
          .max(100, { error: 'expected at most 100 filters per scanning rule' }),
      }),
    )
    .default([]),
});

/** Upstreams ECR supports for pull-through cache, with whether they need credentials. */
export const PULL_THROUGH_UPSTREAMS = {
  'ecr-public': { url: 'public.ecr.aws', needsCredentials: false },
  quay: { url: 'quay.io', needsCredentials: false },
  k8s: { url: 'registry.k8s.io', needsCredentials: false },
  'docker-hub': { url: 'registry-1.docker.io', needsCredentials: true },
  ghcr: { url: 'ghcr.io', needsCredentials: true },
  gitlab: { url: 'registry.gitlab.com', needsCredentials: true },
} as const;
export type PullThroughUpstream = keyof typeof PULL_THROUGH_UPSTREAMS;

export const pullThroughCacheRuleSchema = z.strictObject({
  /** Repository prefix in this registry, e.g. docker-hub. */
  prefix: z
    .string()
    .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, { error: 'expected a lowercase repository prefix' })
    .min(2)
    .max(30),
  upstream: z.enum(Object.keys(PULL_THROUGH_UPSTREAMS) as [PullThroughUpstream, ...PullThroughUpstream[]], {
    error: `expected one of ${Object.keys(PULL_THROUGH_UPSTREAMS).join(', ')}`,
  }),
  /** Secrets Manager secret name (must start with ecr-pullthroughcache/) for upstreams that need credentials. */
  credentialSecret: secretName.optional(),
});

export const nativeReplicationSchema = z.strictObject({
  rules: z.array(
    z.strictObject({
      destinations: z.array(z.strictObject({ region: awsRegion, account: accountId.optional() })).min(1),
      /** Only repositories whose names start with one of these prefixes replicate; all when omitted. */
      repositoryPrefixes: z
        .array(
          z.string().regex(/^(?=.{2,256}$)[a-z0-9]+(?:[._/-][a-z0-9]+)*\/?$/, {
            error: 'expected a repository name prefix such as payments/',
          }),
        )
        .min(1)
        .optional(),
    }),
  ),
});

export const teamSchema = z.strictObject({
  /** Alert email addresses subscribed to the findings topic, filtered to this team's repositories. */
  emails: z.array(email).default([]),
});

export const notificationsSchema = z.strictObject({
  /** Secrets Manager secret holding the Slack incoming-webhook URL (a string, or JSON {"url": ...}). */
  slackWebhookSecret: secretName.optional(),
  /** Alert only on a change in a digest's finding set (new or fixed findings). */
  newFindingsOnly: z.boolean().default(true),
});

export const auditSchema = z.strictObject({
  /** Audit rows expire (DynamoDB TTL) this many days after they are written. */
  retentionDays: positiveInt.default(400),
});

/** Path components each ending in "/", e.g. dr/ or my-org/team/; '' keeps the source name. */
const destinationRepositoryPrefix = z
  .string()
  .regex(/^([a-z0-9]+(?:[._-][a-z0-9]+)*\/)*$/, {
    error: 'expected a repository prefix ending in "/", such as dr/ (or "")',
  })
  .default('');

export const replicationDestinationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('ecr'),
      region: awsRegion,
      account: accountId.optional(),
      /** Prepended to the source repository name at the destination. */
      repositoryPrefix: destinationRepositoryPrefix,
    }),
    z.strictObject({
      type: z.literal('registry'),
      /** Registry host, e.g. ghcr.io or harbor.example.com:8443. */
      host: z
        .string()
        .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: 'expected a registry host such as ghcr.io' }),
      /** Namespace prepended to the source repository name, e.g. my-org/. */
      repositoryPrefix: destinationRepositoryPrefix,
      /** Secrets Manager secret with {"username","password"}; anonymous when omitted. */
      credentialsSecret: secretName.optional(),
    }),
  ],
  { error: 'expected a destination with type ecr or registry' },
);

export const gatedReplicationRuleSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a lowercase rule name of letters, digits and -' }),
  /** Managed repository names; "*" wildcards allowed. */
  repositories: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9*._/-]{1,256}$/, { error: 'expected a repository name or glob such as payments/*' }),
    )
    .min(1),
  tagPatterns: z.array(tagPattern).min(1),
  /** Only images whose verdict tolerates this severity replicate. */
  maxSeverity: severityThreshold.default('MEDIUM'),
  destinations: z.array(replicationDestinationSchema).min(1),
});

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const logsSchema = z.strictObject({
  /** Days the functions' log groups keep their events (CT.CLOUDWATCH.PR.2 asks for at least 365). */
  retentionDays: z
    .number()
    .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
      error: `expected a CloudWatch Logs retention, one of ${LOG_RETENTION_DAYS.join(', ')}`,
    })
    .default(365),
  /** KMS: the log groups are encrypted with a customer managed key of the stack (CT.CLOUDWATCH.PR.3). */
  encryption: z.enum(['KMS', 'NONE'], { error: 'expected KMS or NONE' }).default('KMS'),
});

/**
 * Puts every Harbormaster function in a VPC (CT.LAMBDA.PR.3). Ids only, no lookups, so synth stays offline.
 * The subnets need a route to ECR, STS, SQS, SNS, DynamoDB, Secrets Manager and CloudWatch (NAT or endpoints),
 * and to the external registries of gated replication.
 */
export const networkSchema = z.strictObject({
  subnetIds: z
    .array(
      z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: 'expected a subnet id such as subnet-0a1b2c3d' }),
    )
    .min(1, { error: 'expected at least one subnet id' })
    .max(16, { error: 'expected at most 16 subnet ids' }),
  securityGroupIds: z
    .array(
      z.string().regex(/^sg-[0-9a-f]{8,17}$/, { error: 'expected a security group id such as sg-0a1b2c3d' }),
    )
    .min(1, { error: 'expected at least one security group id' })
    .max(5, { error: 'expected at most 5 security group ids' }),
});

/** An AWS Signer signing profile ARN (what ECR's signing rules and the Notation verifier accept). */
export const SIGNING_PROFILE_ARN =
  /^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}$/;
const signingProfileArn = z
  .string({ error: 'expected an AWS Signer signing profile ARN' })
  .max(200, { error: 'expected a signing profile ARN of at most 200 characters' })
  .regex(SIGNING_PROFILE_ARN, {
    error:
      'expected an AWS Signer signing profile ARN such as arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release',
  });
/** A profile ARN (any version) or a profile version ARN (`.../signing-profiles/NAME/VERSION`). */
const trustedProfileArn = z
  .string({ error: 'expected an AWS Signer signing profile ARN' })
  .regex(
    /^arn:aws(-[a-z]+)*:signer:[a-z0-9-]+:[0-9]{12}:\/signing-profiles\/[a-zA-Z0-9_]{2,}(\/[a-zA-Z0-9]{10})?$/,
    {
      error: 'expected a signing profile ARN or a profile version ARN (.../signing-profiles/NAME[/VERSION])',
    },
  );
const pemText = (kind: string) =>
  z.string({ error: `expected a PEM ${kind}` }).includes(`-----BEGIN ${kind.toUpperCase()}-----`, {
    error: `expected a PEM ${kind} (-----BEGIN ${kind.toUpperCase()}-----)`,
  });

/** Signers whose signatures a repository's `scan.trustedSigners` can trust (PEMs are parsed by checks/signing). */
export const trustedSignerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      /** Notation signatures (AWS Signer, or a private CA) chaining to a trust anchor. */
      type: z.literal('notation'),
      /** Profile ARNs or profile version ARNs; required for AWS Signer (its root signs for every account). */
      signingProfiles: z.array(trustedProfileArn).default([]),
      /** Root certificates (PEM), e.g. AWS Signer's Notation root. */
      trustAnchors: z.array(pemText('certificate')).min(1, { error: 'expected at least one trust anchor' }),
    }),
    z.strictObject({
      /** Keyed cosign signatures (the .sig tag, or cosign 3 bundles): the public half of `cosign generate-key-pair`. */
      type: z.literal('cosign'),
      publicKeys: z.array(pemText('public key')).min(1, { error: 'expected at least one public key' }),
    }),
  ],
  { error: 'expected a trusted signer with type notation or cosign' },
);

/** ECR managed signing (AWS::ECR::SigningConfiguration) and the signers repositories can trust. */
export const signingSchema = z.strictObject({
  /** Sign on push with AWS Signer (at most 10 rules; ECR picks the rule for each pushed image). */
  rules: z
    .array(
      z.strictObject({
        /** A signing profile in the registry's account and region (platform Notation-OCI-SHA384-ECDSA). */
        signingProfileArn,
        /** Repository name filters ("*" wildcard); omitted: every repository of the registry. */
        repositoryFilters: z
          .array(
            z
              .string()
              .regex(/^[a-z0-9*._/-]{1,256}$/, { error: 'expected a repository filter such as payments/*' }),
          )
          .min(1, { error: 'expected at least one filter (omit repositoryFilters to sign every repository)' })
          .max(100, { error: 'expected at most 100 filters per signing rule' })
          .optional(),
      }),
    )
    .max(10, { error: 'expected at most 10 signing rules (the ECR limit)' })
    .default([]),
  signers: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a lowercase signer key' }),
      trustedSignerSchema,
    )
    .default({}),
});

export const operationsSchema = z.strictObject({
  /** Emails subscribed to the operations topic that receives alarms. */
  alarmEmails: z.array(email).default([]),
});

export const configSchema = z.strictObject({
  /** Where the stacks deploy. The account is optional: omit it for environment-agnostic synth. */
  env: z.strictObject({ region: awsRegion, account: accountId.optional() }),
  teams: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a lowercase team key' }),
    teamSchema,
  ),
  repositories: z.array(repositorySchema).min(1, { error: 'expected at least one repository' }),
  scanning: scanningSchema.optional(),
  pullThroughCache: z.array(pullThroughCacheRuleSchema).default([]),
  replication: nativeReplicationSchema.optional(),
  creationTemplates: z.array(creationTemplateSchema).default([]),
  /**
   * ECR blob mounting (account setting BLOB_MOUNTING): a push reuses a layer already stored in another
   * repository of this registry with the same encryption instead of uploading a copy.
   */
  blobMounting: z.boolean({ error: 'expected true or false' }).default(false),
  notifications: notificationsSchema.default({ newFindingsOnly: true }),
  audit: auditSchema.default({ retentionDays: 400 }),
  gatedReplication: z.array(gatedReplicationRuleSchema).default([]),
  operations: operationsSchema.default({ alarmEmails: [] }),
  logs: logsSchema.default({ retentionDays: 365, encryption: 'KMS' }),
  network: networkSchema.optional(),
  signing: signingSchema.optional(),
});

/** The config as written in the file (defaults not yet applied). */
export type ConfigInput = z.input<typeof configSchema>;
/** The validated config with defaults applied: what every other module consumes. */
export type HarbormasterConfig = z.output<typeof configSchema>;
export type RepositoryConfig = HarbormasterConfig['repositories'][number];
export type LifecycleConfig = z.output<typeof lifecycleSchema>;
export type RawLifecycleRule = z.output<typeof rawLifecycleRuleSchema>;
export type CreationTemplateConfig = HarbormasterConfig['creationTemplates'][number];
/** What repositories and creation templates share: encryption, mutability, lifecycle, access, tags, releaseTags. */
export type RepositorySettings = Pick<
  RepositoryConfig,
  'encryption' | 'tagMutability' | 'mutabilityExclusions' | 'lifecycle' | 'access' | 'tags' | 'releaseTags'
>;
export type TagMutability = z.output<typeof tagMutabilitySchema>;
export type EncryptionConfig = z.output<typeof encryptionSchema>;
export type AccessConfig = z.output<typeof accessSchema>;
export type PullThroughCacheRuleConfig = HarbormasterConfig['pullThroughCache'][number];
export type NativeReplicationConfig = z.output<typeof nativeReplicationSchema>;
export type ScanningConfig = z.output<typeof scanningSchema>;
export type ScanPolicy = z.output<typeof scanPolicySchema>;
export type AllowlistEntry = z.output<typeof allowlistEntrySchema>;
export type AutoTagRule = z.output<typeof autoTagRuleSchema>;
export type GatedReplicationRule = HarbormasterConfig['gatedReplication'][number];
export type ReplicationDestination = z.output<typeof replicationDestinationSchema>;
export type LogsConfig = z.output<typeof logsSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type SigningConfig = z.output<typeof signingSchema>;
