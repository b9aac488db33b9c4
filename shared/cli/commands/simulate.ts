import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import {
  isIgnored,
  SEVERITY_ORDER,
  type Finding,
  type NormalizedEvent,
  type SeverityCounts,
} from '../../domain/types';
import { EventParseError, parseEventJson } from '../../events';
import { severity as severitySchema } from '../../events/severity-fields';
import { findRepository } from '../../policy';
import { findingSetHash, idsOf } from '../../policy/findings-diff';
import { emptyCounts } from '../../policy/severity';
import { runtimeConfig } from '../../runtime/runtime-config';
import { newImageState, type AlertRecord, type ImageStateData } from '../../state/image-state';
import { CliError, EXIT } from '../errors';
import { formatReport, type DeliveryReport, type SimulationReport } from '../simulate/format';
import { SimulatedRegistry } from '../simulate/recording-clients';
import { functionsOf, Simulation, type FunctionRun } from '../simulate/run';
import { SimulatedSignatures } from '../simulate/signatures';

/**
 * `harbormaster simulate`: what the automation would do for EventBridge events, with no AWS call. It runs
 * the functions' own code (the SQS record handler, onImageEvent, onScanEvent) against recording clients
 * that answer from the files given (the image's tags, its findings, its state and last alert) and record
 * every write, so its report is what the functions would do: keeper tag, duplicate suppression and all.
 */

/** The `event` object simulate prints: exactly these fields (no id, no hyphenated keys, never an ARN). */
export interface SimulatedEvent {
  readonly kind: NormalizedEvent['kind'];
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  readonly time: string;
  readonly scanner?: 'basic' | 'enhanced';
  readonly severityCounts?: SeverityCounts;
  readonly result?: 'SUCCESS' | 'FAILED';
}

/** One event delivered: the functions it reaches (its EventBridge rules) and what each did. */
export interface SimulatedDelivery extends DeliveryReport {
  /** null when the event's type is ignored before it can be normalized (e.g. a FAILED push). */
  readonly event: SimulatedEvent | null;
  readonly runs: readonly FunctionRun[];
}

export interface SimulateOutput extends SimulationReport {
  readonly deliveries: readonly SimulatedDelivery[];
}

/** Projects a normalized event onto the documented simulate fields. */
export function simulatedEvent(event: NormalizedEvent): SimulatedEvent {
  const base = {
    kind: event.kind,
    account: event.account,
    region: event.region,
    repository: event.repository,
    digest: event.digest,
    tags: [...event.tags],
    time: event.time,
  };
  switch (event.kind) {
    case 'scan.completed':
      return { ...base, scanner: event.scanner, severityCounts: { ...event.severityCounts } };
    case 'finding.updated': {
      // One finding: it counts while ACTIVE.
      const severityCounts = emptyCounts();
      if (event.status === 'ACTIVE') severityCounts[event.finding.severity] = 1;
      return { ...base, scanner: event.scanner, severityCounts };
    }
    case 'replication.completed':
      return { ...base, result: event.result };
    default:
      return base;
  }
}

const findingsFileSchema = z
  .array(
    z.strictObject({
      id: z.string({ error: 'expected a vulnerability id' }).min(1, { error: 'expected a vulnerability id' }),
      severity: severitySchema,
      packageName: z.string().optional(),
      installedVersion: z.string().optional(),
      fixedVersion: z.string().optional(),
      url: z.string().optional(),
    }),
    { error: 'expected a JSON array of findings' },
  )
  .max(100_000, { error: 'expected at most 100000 findings' });

function readText(file: string, flag: string): string {
  try {
    return file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliError(
      `${flag}: cannot read ${file}: ${(cause as Error).message.split('\n')[0]}`,
      undefined,
      { cause },
    );
  }
}

function readFindings(file: string): Finding[] {
  let value: unknown;
  try {
    value = JSON.parse(readText(file, '--findings'));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError(
      `--findings: ${file} is not valid JSON: ${(cause as Error).message.split('\n')[0]}`,
      undefined,
      { cause },
    );
  }
  const parsed = findingsFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new CliError(`--findings ${file}${where}: ${issue.message}`);
  }
  return parsed.data.map(
    (f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as unknown as Finding,
  );
}

function parseNow(value: string): Date {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw new CliError(
      `--now: expected an ISO-8601 time such as 2026-11-23T00:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return new Date(time);
}

export interface SimulateOptions {
  /** Event files in delivery order (the positional arguments, after --event). */
  readonly events?: readonly string[];
  readonly event?: string;
  readonly config: string;
  readonly now?: string;
  readonly existingTags?: string;
  readonly tags?: string;
  readonly tagsFile?: string;
  readonly findings?: string;
  readonly lastAlert?: string;
  readonly state?: string;
  readonly manifest?: string;
  readonly signatures?: string;
  readonly repeat?: boolean;
}

function readJson(file: string, flag: string): unknown {
  const text = readText(file, flag);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CliError(
      `${flag}: ${file} is not valid JSON: ${(cause as Error).message.split('\n')[0]}`,
      undefined,
      { cause },
    );
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function splitTags(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** `aws ecr list-images` output ({imageIds: [{imageTag, imageDigest}]}) or a {tag: digest} object. */
function readTagsFile(file: string): [string, string][] {
  const value = readJson(file, '--tags-file') as unknown;
  const pairs: [string, string][] = [];
  if (value && typeof value === 'object' && Array.isArray((value as { imageIds?: unknown }).imageIds)) {
    (value as { imageIds: unknown[] }).imageIds.forEach((id, i) => {
      const { imageTag, imageDigest } = (id ?? {}) as { imageTag?: unknown; imageDigest?: unknown };
      if (typeof imageDigest !== 'string' || !DIGEST.test(imageDigest)) {
        throw new CliError(`--tags-file ${file}.imageIds[${i}].imageDigest: expected a sha256 digest`);
      }
      if (typeof imageTag === 'string' && imageTag.length > 0) pairs.push([imageTag, imageDigest]);
    });
    return pairs;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [tag, digest] of Object.entries(value)) {
      if (typeof digest !== 'string' || !DIGEST.test(digest)) {
        throw new CliError(`--tags-file ${file}.${tag}: expected a sha256 digest`);
      }
      pairs.push([tag, digest]);
    }
    return pairs;
  }
  throw new CliError(
    `--tags-file ${file}: expected the output of aws ecr list-images ({"imageIds": [...]}) or a {"tag": "sha256:..."} object`,
  );
}

/** Image states: one state object, an array of them, or a simulate --json report (its `state`). */
function readStates(file: string): ImageStateData[] {
  const value = readJson(file, '--state');
  const states = Array.isArray(value)
    ? value
    : value && typeof value === 'object' && Array.isArray((value as { state?: unknown }).state)
      ? (value as { state: unknown[] }).state
      : [value];
  return states.map((s, i) => {
    const data = (s ?? {}) as Partial<ImageStateData>;
    const at = Array.isArray(value) ? `[${i}]` : '';
    if (typeof data.repository !== 'string' || data.repository === '') {
      throw new CliError(`--state ${file}${at}.repository: expected the repository name of an image state`);
    }
    if (typeof data.digest !== 'string' || !DIGEST.test(data.digest)) {
      throw new CliError(`--state ${file}${at}.digest: expected a sha256 digest`);
    }
    return data as ImageStateData;
  });
}

/** The last alert: its finding ids (an array of ids or findings) or an alert record ({findingIds, ...}). */
function readLastAlert(file: string, now: Date): AlertRecord {
  const value = readJson(file, '--last-alert');
  const record = (Array.isArray(value) ? { findingIds: value } : (value ?? {})) as {
    findingIds?: unknown;
    findingSetHash?: unknown;
    eventId?: unknown;
    time?: unknown;
  };
  const raw = record.findingIds;
  if (
    !Array.isArray(raw) ||
    !raw.every(
      (x) => typeof x === 'string' || (typeof x === 'object' && typeof (x as Finding)?.id === 'string'),
    )
  ) {
    throw new CliError(
      `--last-alert ${file}: expected the alerted finding ids (["CVE-...", ...], findings [{"id": ...}] or {"findingIds": [...]})`,
    );
  }
  const ids = idsOf(raw as (string | Finding)[]);
  return {
    findingSetHash: typeof record.findingSetHash === 'string' ? record.findingSetHash : findingSetHash(ids),
    findingIds: ids,
    eventId: typeof record.eventId === 'string' ? record.eventId : 'earlier-alert',
    time: typeof record.time === 'string' ? record.time : now.toISOString(),
  };
}

/**
 * The signature artifacts of the image, as the registry API would serve them: {"manifests": [{"manifest":
 * {...} or its exact JSON text, "tag"?: "sha256-<hex>.sig"}], "blobs": ["<text>" or {"base64": "..."}]}.
 * Digests are computed from the bytes, so the real verification runs on exactly what is given.
 */
function readSignatures(file: string): SimulatedSignatures {
  const value = readJson(file, '--signatures') as { manifests?: unknown; blobs?: unknown } | null;
  const shape = '{"manifests": [{"manifest": {...}, "tag"?: "..."}], "blobs": ["text" or {"base64": "..."}]}';
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`--signatures ${file}: expected ${shape}`);
  }
  const signatures = new SimulatedSignatures();
  const manifests = value.manifests ?? [];
  const blobs = value.blobs ?? [];
  if (!Array.isArray(manifests)) throw new CliError(`--signatures ${file}.manifests: expected an array`);
  if (!Array.isArray(blobs)) throw new CliError(`--signatures ${file}.blobs: expected an array`);
  manifests.forEach((entry: unknown, i) => {
    const at = `--signatures ${file}.manifests[${i}]`;
    const { manifest, tag } = (entry ?? {}) as { manifest?: unknown; tag?: unknown };
    if (tag !== undefined && (typeof tag !== 'string' || tag === '')) {
      throw new CliError(`${at}.tag: expected a tag such as sha256-<hex>.sig`);
    }
    const text = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    let body: unknown;
    try {
      body = JSON.parse(text ?? '');
    } catch {
      // reported below
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new CliError(`${at}.manifest: expected a manifest (a JSON object, or its exact JSON text)`);
    }
    signatures.addManifest(Buffer.from(text, 'utf8'), tag as string | undefined);
  });
  blobs.forEach((blob: unknown, i) => {
    if (typeof blob === 'string') signatures.addBlob(Buffer.from(blob, 'utf8'));
    else if (blob && typeof (blob as { base64?: unknown }).base64 === 'string') {
      signatures.addBlob(Buffer.from((blob as { base64: string }).base64, 'base64'));
    } else {
      throw new CliError(`--signatures ${file}.blobs[${i}]: expected a string or {"base64": "..."}`);
    }
  });
  return signatures;
}

/** Without --findings, a scan's finding list stands in from its counts: one placeholder per counted finding. */
function placeholderFindings(counts: SeverityCounts): Finding[] {
  return [...SEVERITY_ORDER].reverse().flatMap((severity) =>
    Array.from({ length: counts[severity] }, (_, i) => ({
      id: `${severity}-finding-${i + 1}`,
      severity,
    })),
  );
}

/** Reads one event file; exit 2 naming the file and field when it is malformed. */
function readEvent(file: string): { text: string; parsed: ReturnType<typeof parseEventJson> } {
  const text = readText(file, '--event');
  try {
    return { text, parsed: parseEventJson(text) };
  } catch (error) {
    if (error instanceof EventParseError)
      throw new CliError(`${file}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
}

/** Runs a simulation and returns the report; throws CliError (exit 2) for bad input. */
export async function simulate(options: SimulateOptions): Promise<SimulateOutput> {
  const files = [...(options.event ? [options.event] : []), ...(options.events ?? [])];
  if (files.length === 0) {
    throw new CliError('simulate: expected an event file (EVENT.json, or --event FILE; "-" reads stdin)');
  }
  const events = files.map(readEvent);
  const now = options.now ? parseNow(options.now) : new Date();
  const judged = events.map((e) => e.parsed).filter((p): p is NormalizedEvent => !isIgnored(p));
  // An ignored event type needs no config.
  const config = judged.length > 0 ? runtimeConfig(loadConfig(options.config)) : undefined;
  const first = judged[0];
  const notes: string[] = [];

  const registry = new SimulatedRegistry();
  if (options.findings) registry.setFindings(readFindings(options.findings));
  if (first) {
    if (options.tagsFile) {
      for (const [tag, digest] of readTagsFile(options.tagsFile)) registry.tag(first.repository, tag, digest);
    }
    const imageTags = splitTags(options.tags);
    for (const tag of imageTags ?? []) registry.tag(first.repository, tag, first.digest);
    // Tags on other images: the semver cascade and latest read them.
    const zeros = `sha256:${'0'.repeat(64)}`;
    const other = first.digest === zeros ? `sha256:${'1'.repeat(64)}` : zeros;
    for (const tag of splitTags(options.existingTags) ?? []) {
      if (!registry.hasTag(first.repository, tag)) registry.tag(first.repository, tag, other);
    }
    if (!imageTags) {
      // The image carries the tags its events name (unless the tags file says where they are).
      for (const e of judged)
        for (const tag of e.tags)
          if (!registry.hasTag(e.repository, tag)) registry.tag(e.repository, tag, e.digest);
    }
    if (options.manifest) {
      const text = readText(options.manifest, '--manifest');
      let mediaType: unknown;
      try {
        mediaType = (JSON.parse(text) as { mediaType?: unknown }).mediaType;
      } catch (cause) {
        throw new CliError(`--manifest: ${options.manifest} is not valid JSON`, undefined, { cause });
      }
      const fallback = first.kind === 'image.pushed' ? first.mediaType : undefined;
      registry.setManifest(
        first.digest,
        text,
        typeof mediaType === 'string'
          ? mediaType
          : (fallback ?? 'application/vnd.oci.image.manifest.v1+json'),
      );
    }
    if (!options.findings) {
      for (const e of judged) {
        if (e.kind === 'scan.completed' && !registry.hasFindings(e.digest)) {
          registry.setFindings(placeholderFindings(e.severityCounts), e.digest);
        }
      }
    }
  }
  const states = options.state ? readStates(options.state) : [];
  if (first && options.lastAlert) {
    const alert = readLastAlert(options.lastAlert, now);
    const at = states.findIndex((s) => s.repository === first.repository && s.digest === first.digest);
    if (at >= 0) states[at] = { ...states[at], alert };
    else states.push({ ...newImageState(first), alert });
  }

  const signatures = options.signatures ? readSignatures(options.signatures) : undefined;
  const simulation = config
    ? new Simulation({ config, now, registry, state: states, ...(signatures ? { signatures } : {}) })
    : undefined;
  const deliveries: SimulatedDelivery[] = [];
  const order = options.repeat ? [...events, ...events] : events;
  for (const { text, parsed } of order) {
    if (isIgnored(parsed)) {
      deliveries.push({ event: null, ignored: parsed.ignored, runs: [] });
      continue;
    }
    const runs: FunctionRun[] = [];
    for (const fn of functionsOf(parsed)) runs.push(await (simulation as Simulation).deliver(text, fn));
    deliveries.push({ event: simulatedEvent(parsed), eventId: parsed.id, runs });
  }

  const reads = deliveries.flatMap((d) => d.runs.flatMap((r) => r.reads));
  if (!options.findings && reads.some((r) => r.startsWith('DescribeImageScanFindings'))) {
    notes.push(
      "no --findings: DescribeImageScanFindings was answered with placeholder findings made from the scan's counts (none for a finding event)",
    );
  }
  if (reads.some((r) => r.startsWith('BatchGetImage')) && !options.manifest) {
    const index = judged.some((e) => e.kind === 'image.pushed' && functionsOf(e).length > 1);
    if (index)
      notes.push(
        'no --manifest: an index push is decided from its platform manifests; give the index manifest',
      );
  }
  if (config && !signatures) {
    // Signatures are read only for a repository that requires one (the registry reads, `GET <repository>/...`).
    const requiring = judged
      .map((e) => e.repository)
      .filter((r, i, all) => all.indexOf(r) === i && findRepository(config, r)?.scan.requireSignature)
      .filter((r) => reads.some((read) => read.startsWith(`GET ${r}/`)));
    if (requiring.length > 0) {
      notes.push(
        `no --signatures: ${requiring.join(', ')} requires a signature; its signatures were read from an empty registry, so the image counts as unsigned`,
      );
    }
  }
  return {
    deliveries,
    state: simulation ? await simulation.states() : [],
    tags: first ? { [first.repository]: registry.snapshot()[first.repository] ?? {} } : {},
    notes,
  };
}

const EXAMPLE = `
Example:
  $ npx harbormaster simulate test/fixtures/events/ecr-image-scan-basic.json --repeat
  1. scan.completed payments/api@4c1d8e2f9a7b [v1.4.2, v1.4, v1, latest] (id 85fc3613-...)
     scan-events: done (scanned, verdict, quarantined, notified)
       read       DescribeImageScanFindings payments/api@4c1d8e2f9a7b; DescribeImages payments/api@4c1d8e2f9a7b; ...
       tag        quarantined-4c1d8e2f9a7b -> 4c1d8e2f9a7b (keeper tag)
       untag      latest, v1, v1.4, v1.4.2 from 4c1d8e2f9a7b
       alert      [Harbormaster] FAIL payments/api:v1.4.2 - 2 HIGH, 3 MEDIUM, 5 LOW (quarantined)
       audit      4c1d8e2f9a7b: scanned, verdict fail, quarantined, notified
  2. scan.completed payments/api@4c1d8e2f9a7b [...] (id 85fc3613-...)
     scan-events: duplicate: already processed, nothing done
  ...

  $ npx harbormaster simulate scan.json --config prod.yaml --findings findings.json --tags v1.4.2,latest \\
      --last-alert last-alert.json --now 2027-04-01 --json

Exit codes: 0 the events were handled (done, duplicate or ignored), 1 a function would fail a record (it is
retried, then dead-lettered), 2 malformed event, unreadable file or invalid config.
No AWS API is called: what the functions read (the image's tags, the repository's tags, findings, manifest,
image state, last alert, signatures) comes from the files given; every write is recorded and printed instead.`;

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      "Print what the automation would do for EventBridge events: the functions' own code, no AWS calls.",
    )
    .argument('[events...]', 'EventBridge events as delivered (full envelopes), JSON, delivered in order')
    .option('--event <file>', 'an event file, delivered first; "-" reads stdin')
    .option('--config <file>', 'Harbormaster config file', DEFAULT_CONFIG_PATH)
    .addOption(
      new Option(
        '--now <time>',
        'evaluate allowlist expiry at this ISO-8601 time (default: the current time)',
      ),
    )
    .option('--tags <tags>', "comma-separated tags the image has in ECR (default: the event's tags)")
    .option(
      '--tags-file <file>',
      'the repository\'s tags: `aws ecr list-images` JSON or {"tag": "sha256:..."}',
    )
    .option(
      '--existing-tags <tags>',
      'comma-separated tags of other images in the repository, for the semver cascade and latest',
    )
    .option(
      '--findings <file>',
      "JSON array of the image's findings [{id, severity, packageName?, installedVersion?, fixedVersion?}]",
    )
    .option(
      '--last-alert <file>',
      'the finding ids of the image\'s last alert (JSON array, or {"findingIds": [...]})',
    )
    .option('--state <file>', 'image state JSON to start from (one, an array, or a simulate --json report)')
    .option('--manifest <file>', "the image's manifest (an index push reads its platform manifests from it)")
    .option(
      '--signatures <file>',
      'the image\'s signature artifacts, verified for real: {"manifests": [{"manifest": {...}, "tag"?}], "blobs": [...]}',
    )
    .option('--repeat', 'deliver every event a second time, as SQS redelivers (duplicate suppression)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', EXAMPLE)
    .action(async (events: string[], options: SimulateOptions & { json?: boolean }) => {
      const output = await simulate({ ...options, events });
      process.stdout.write(options.json ? `${JSON.stringify(output, null, 2)}\n` : formatReport(output));
      if (output.deliveries.some((d) => d.runs.some((r) => r.outcome === 'failed'))) {
        process.exitCode = EXIT.FAIL;
      }
    });
}
