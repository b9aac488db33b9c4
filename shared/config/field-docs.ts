/**
 * Hover help for every config field, keyed by field path (`repositories[].scan.maxSeverity`; `[]` is any
 * array item, `*` any key of a map). `npm run schema` writes each one into harbormaster.schema.json as the
 * field's `description`, which editors (the YAML language server) show on hover and in completion.
 * Kept beside the schema rather than inside it so editing help text never conflicts with editing rules;
 * a test fails when a field of the schema has no entry here.
 */

/** Fields that repositories and creation templates share (repositorySettingsShape and its lifecycle). */
function settings(prefix: string, what: string): Record<string, string> {
  const l = `${prefix}.lifecycle`;
  const rule = `${l}.rules[]`;
  return {
    [`${prefix}.encryption`]: `How ${what} encrypted at rest. Default {type: AES256}.`,
    [`${prefix}.encryption.type`]:
      'AES256 (S3-managed keys) or KMS (the AWS managed key aws/ecr, or kmsKeyArn).',
    [`${prefix}.encryption.kmsKeyArn`]:
      'A customer managed KMS key ARN, in env.region and env.account. Omit to use aws/ecr. Only with type KMS.',
    [`${prefix}.tagMutability`]:
      'MUTABLE (default), IMMUTABLE, IMMUTABLE_WITH_EXCLUSION (immutable except mutabilityExclusions) or MUTABLE_WITH_EXCLUSION (mutable except mutabilityExclusions).',
    [`${prefix}.mutabilityExclusions`]:
      '1-5 tag wildcard filters (e.g. latest, "pr-*") excepted from tagMutability. Required by, and only allowed with, the *_WITH_EXCLUSION modes.',
    [`${prefix}.lifecycle`]:
      'Lifecycle presets and raw ECR rules. Presets become rules in a fixed order, at the lowest priorities raw rules leave free. Checked at synth as ECR checks them.',
    [`${l}.untaggedAfterDays`]: 'Expire untagged images this many days after push.',
    [`${l}.keepLast`]:
      'Keep the last N images per releaseTags pattern and expire older ones (needs releaseTags).',
    [`${l}.ephemeral`]: 'Short-lived images (pull-request builds...): expire by tag pattern and age.',
    [`${l}.ephemeral[].tagPatterns`]: 'Tags of short-lived images, e.g. ["pr-*"]. One ECR rule per pattern.',
    [`${l}.ephemeral[].afterDays`]: 'Expire them this many days after push.',
    [`${l}.archiveUnpulledAfterDays`]:
      "Move images not pulled for this many days to ECR's archive storage class (cheaper; not pullable until restored; 90-day minimum).",
    [`${l}.rules`]:
      "Raw ECR lifecycle rules, spelt exactly as ECR's lifecycle policy JSON. At most 50 rules in total.",
    [`${rule}.rulePriority`]:
      'Unique priority in the policy; lower runs first. A tagStatus any rule must have the highest.',
    [`${rule}.description`]: 'Shown by ECR and by harbormaster lifecycle-preview (at most 256 characters).',
    [`${rule}.selection`]: 'Which images the rule counts.',
    [`${rule}.selection.tagStatus`]:
      'tagged (with exactly one of tagPatternList / tagPrefixList), untagged or any (with neither).',
    [`${rule}.selection.tagPrefixList`]: 'Tag prefixes of a tagged rule, e.g. [release-].',
    [`${rule}.selection.tagPatternList`]:
      'Tag wildcards of a tagged rule, e.g. ["v*.*.*"]; at most 4 "*" each.',
    [`${rule}.selection.storageClass`]:
      'standard (default) or archive; archive only with countType sinceImageTransitioned.',
    [`${rule}.selection.countType`]:
      'imageCountMoreThan, sinceImagePushed, sinceImagePulled (transition only) or sinceImageTransitioned (expire only, storageClass archive).',
    [`${rule}.selection.countUnit`]: '"days": required by (and only allowed with) the since* count types.',
    [`${rule}.selection.countNumber`]: 'The count or age, a positive whole number.',
    [`${rule}.action`]: 'What happens to the selected images.',
    [`${rule}.action.type`]: 'expire, or transition (to the archive storage class).',
    [`${rule}.action.targetStorageClass`]: '"archive": required with type transition.',
    [`${prefix}.access`]: `Who may push, pull and delete (the repository policy of ${what}). Never a "*" principal.`,
    [`${prefix}.access.push`]:
      'IAM role/user ARNs or 12-digit account ids that push and pull (CI). They also need ecr:GetAuthorizationToken in their own policy.',
    [`${prefix}.access.pull`]:
      'IAM role/user ARNs or 12-digit account ids that pull only (runtime roles, other accounts).',
    [`${prefix}.access.admin`]:
      'IAM role/user ARNs or account ids that may delete images and the repository.',
    [`${prefix}.tags`]:
      'Resource tags, e.g. {cost-center: payments}: at most 49, none under aws: (Harbormaster adds harbormaster:team).',
    [`${prefix}.releaseTags`]:
      'Tag wildcards that mark a release, e.g. ["v*.*.*"]: kept by lifecycle.keepLast, removed by quarantine. "*" matches any run of characters, dots included.',
  };
}

export const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  env: 'Where the stacks deploy.',
  'env.region':
    'Region of the registry and automation stacks and of every managed repository, e.g. eu-west-1.',
  'env.account':
    'Account id to deploy to, as a quoted string ("111122223333"). Omit for an environment-agnostic synth (the account then comes from your credentials).',
  teams:
    'Teams by lowercase key; every repository names one. A team receives its own repositories’ scan alerts.',
  'teams.*.emails': 'Addresses subscribed to scan alerts, filtered to this team’s repositories. Default [].',

  repositories: 'The ECR repositories Harbormaster creates and governs (at least one).',
  'repositories[].name':
    'ECR repository name, e.g. payments/api: 2-256 characters, lowercase [a-z0-9] components separated by ".", "_", "-" or "/". Unique.',
  'repositories[].team': 'A key of teams: who owns the repository and receives its alerts.',
  ...settings('repositories[]', 'the repository is'),
  'repositories[].scanOnPush':
    'Scan each pushed image (basic scanning). Default true; an ENHANCED scanning block takes over.',
  'repositories[].removalPolicy':
    'retain (default) keeps the repository and its images after cdk destroy; destroy deletes both.',
  'repositories[].autoTag': 'Tags added on push, in rule order (never the pushed tag itself). Default [].',
  'repositories[].autoTag[].type':
    'semver: 1.4.2 also gets 1.4 and 1 (and latest). pattern: a tag matching match also gets tag.',
  'repositories[].autoTag[].latest': 'semver: also move latest to the highest stable version. Default false.',
  'repositories[].autoTag[].prefix':
    'semver: a prefix such as "v" that pushed tags carry and derived tags keep. Default "".',
  'repositories[].autoTag[].match': 'pattern: the tag wildcard a pushed tag must match, e.g. "git-*".',
  'repositories[].autoTag[].tag':
    'pattern: the tag to add; {tag}, {match} (the text "*" matched) and {digest12} expand, e.g. "sha-{match}".',
  'repositories[].scan': 'What the scan automation (and harbormaster gate) does for this repository.',
  'repositories[].scan.maxSeverity':
    'Highest severity a passing image may carry: NONE, INFORMATIONAL, LOW, MEDIUM (default), HIGH or CRITICAL. Findings above it fail the image.',
  'repositories[].scan.allowlist':
    'Findings to ignore until a date. Synth warns 30 days before an entry expires and after it has.',
  'repositories[].scan.allowlist[].id':
    'The vulnerability id, e.g. CVE-2024-3094 or a GHSA id (case-insensitive).',
  'repositories[].scan.allowlist[].reason': 'Why it is acceptable, e.g. "not reachable; tracked in PAY-142".',
  'repositories[].scan.allowlist[].expires':
    'Last day (UTC) the entry applies, as a quoted "YYYY-MM-DD" calendar date.',
  'repositories[].scan.promoteTo':
    'Tags added to a passing image (build once, tag many), e.g. [approved]. They must be mutable.',
  'repositories[].scan.quarantine':
    'Remove the releaseTags tags of a failing image (the image is kept, pullable by digest). Default false.',
  'repositories[].scan.requireSignature':
    'Fail the verdict of an image without a valid signature from one of trustedSigners. Default false.',
  'repositories[].scan.trustedSigners': 'Keys of signing.signers whose signatures count for this repository.',

  scanning: "The registry's scanning configuration (one per registry). Omit to leave it untouched.",
  'scanning.type': 'BASIC (ECR) or ENHANCED (Amazon Inspector, billed per image scanned).',
  'scanning.rules': 'Which repositories are scanned how; one rule per frequency.',
  'scanning.rules[].frequency': 'SCAN_ON_PUSH, or CONTINUOUS_SCAN (ENHANCED only).',
  'scanning.rules[].filters': '1-100 repository name filters; "*" is a wildcard, e.g. ["payments/*"].',

  pullThroughCache: 'Pull-through cache rules: pull upstream images through this registry. At most 50.',
  'pullThroughCache[].prefix':
    'Repository prefix in this registry, e.g. docker-hub: docker pull <registry>/docker-hub/library/nginx:1.27. Unique.',
  'pullThroughCache[].upstream':
    'ecr-public, quay, k8s (no credentials) or docker-hub, ghcr, gitlab (with credentialSecret).',
  'pullThroughCache[].credentialSecret':
    'Secrets Manager secret name starting with ecr-pullthroughcache/, holding {"username", "accessToken"}. Required for upstreams with credentials, forbidden otherwise.',

  replication:
    "ECR's native replication: ECR copies every push of matching repositories to each destination.",
  'replication.rules': 'At most 10 rules and 25 unique destinations in total.',
  'replication.rules[].destinations': 'Where ECR copies; each must differ from the source registry.',
  'replication.rules[].destinations[].region': 'Destination region.',
  'replication.rules[].destinations[].account':
    'Destination account (quoted); default env.account. Another account gets a HarbormasterDestination stack (its registry policy) to deploy with its credentials.',
  'replication.rules[].repositoryPrefixes':
    'Only repositories whose names start with one of these replicate, e.g. [payments/]; all when omitted.',

  creationTemplates:
    'Settings for repositories ECR creates itself: replicas arriving here and pull-through caches.',
  'creationTemplates[].prefix':
    'Repositories the template applies to: ROOT (every repository no other template matches) or a name prefix. Unique.',
  'creationTemplates[].appliedFor':
    'When ECR applies it: REPLICATION, PULL_THROUGH_CACHE and/or CREATE_ON_PUSH (a push to a repository that does not exist yet).',
  'creationTemplates[].description': 'Shown in the console (at most 256 characters).',
  ...settings('creationTemplates[]', 'the created repositories are'),

  blobMounting:
    'ECR blob mounting (account setting BLOB_MOUNTING): a push reuses a layer already in another repository of this registry with the same encryption. Default false.',

  notifications: 'Where scan alerts go besides team emails.',
  'notifications.slackWebhookSecret':
    'Secrets Manager secret name holding the Slack incoming-webhook URL (a string, or JSON {"url": ...}).',
  'notifications.newFindingsOnly':
    "Alert only when a digest's set of findings changed (what is new, what was fixed). Default true.",
  audit: 'The audit trail (one DynamoDB timeline per image).',
  'audit.retentionDays':
    'Audit rows expire (DynamoDB TTL) this many days after they are written. Default 400.',

  gatedReplication:
    "Copies made by Harbormaster's replicator after a passing scan: by tag, by verdict, to ECR or any OCI registry.",
  'gatedReplication[].name': 'Lowercase rule name, unique; shown in audit rows, alerts and backfill --rule.',
  'gatedReplication[].repositories':
    'Managed repository names; "*" matches any run of characters, "/" included. Each must match a repository.',
  'gatedReplication[].tagPatterns': 'Only tags matching these wildcards are copied, e.g. ["v*"].',
  'gatedReplication[].maxSeverity':
    'The image must pass its repository scan policy and carry no finding above this (default MEDIUM).',
  'gatedReplication[].destinations': 'Where passing images go, each copied by digest and verified.',
  'gatedReplication[].destinations[].type':
    'ecr (another region or account) or registry (an OCI registry outside ECR).',
  'gatedReplication[].destinations[].region': 'ecr: destination region.',
  'gatedReplication[].destinations[].account':
    'ecr: destination account (quoted); default env.account. Another account gets a HarbormasterDestination stack (the repositories, allowing the replicator role) to deploy with its credentials.',
  'gatedReplication[].destinations[].repositoryPrefix':
    'Prepended to the source name, path components each ending in "/": dr/ makes payments/api dr/payments/api. Default "".',
  'gatedReplication[].destinations[].host':
    'registry: host and optional port, e.g. ghcr.io or harbor.example.com:8443. Always HTTPS with a verified certificate.',
  'gatedReplication[].destinations[].credentialsSecret':
    'registry: Secrets Manager secret (source account and region) with {"username", "password"}; anonymous when omitted.',

  operations: 'Who hears about Harbormaster itself (dead letters, errors, failed replications).',
  'operations.alarmEmails': 'Addresses subscribed to the operations topic that receives alarms. Default [].',
  logs: "The functions' CloudWatch log groups.",
  'logs.retentionDays':
    'Days the log groups keep events: a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, ... 3653). Default 365.',
  'logs.encryption': 'KMS (default: a customer managed key of the stack) or NONE.',
  network: 'Puts every Harbormaster function in a VPC (ids only; synth stays offline).',
  'network.subnetIds':
    '1-16 subnet ids; they need a route to ECR, STS, SQS, SNS, DynamoDB, Secrets Manager, CloudWatch and external registries.',
  'network.securityGroupIds': '1-5 security group ids for the functions.',
  signing: 'ECR managed signing and the signers a verdict can trust.',
  'signing.rules': 'ECR managed signing rules (at most 10): ECR signs pushed images with AWS Signer.',
  'signing.rules[].signingProfileArn':
    'An AWS Signer signing profile in the registry account and region (platform Notation-OCI-SHA384-ECDSA).',
  'signing.rules[].repositoryFilters':
    'Repository name filters ("*" wildcard); omit to sign every repository.',
  'signing.signers': 'Signers by key, for repositories[].scan.trustedSigners.',
  'signing.signers.*.type': 'notation (AWS Signer or a private CA) or cosign (keyed signatures).',
  'signing.signers.*.signingProfiles':
    'notation: signing profile (version) ARNs; required for AWS Signer, whose root signs for every account.',
  'signing.signers.*.trustAnchors': "notation: root certificates (PEM), e.g. AWS Signer's Notation root.",
  'signing.signers.*.publicKeys': 'cosign: public keys (PEM), the public half of cosign generate-key-pair.',
};

type JsonSchema = { [key: string]: unknown };

/**
 * Writes FIELD_DESCRIPTIONS into a JSON Schema (in place) and returns the paths of fields that have none.
 * Walks properties, array items, map values and union options.
 */
export function describeFields(schema: JsonSchema): string[] {
  const missing = new Set<string>();
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== 'object') return;
    const s = node as JsonSchema;
    const properties = s.properties as Record<string, JsonSchema> | undefined;
    for (const [key, child] of Object.entries(properties ?? {})) {
      const childPath = path ? `${path}.${key}` : key;
      const description = FIELD_DESCRIPTIONS[childPath];
      if (description) child.description = description;
      else missing.add(childPath);
      walk(child, childPath);
    }
    if (s.items) walk(s.items, `${path}[]`);
    if (s.additionalProperties && typeof s.additionalProperties === 'object') {
      walk(s.additionalProperties, `${path}.*`);
    }
    for (const key of ['anyOf', 'oneOf', 'allOf']) {
      for (const option of (s[key] as unknown[] | undefined) ?? []) walk(option, path);
    }
  };
  walk(schema, '');
  return [...missing];
}
