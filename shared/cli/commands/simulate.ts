import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../config/load';
import { isIgnored, type Finding, type NormalizedEvent, type SeverityCounts } from '../../domain/types';
import { EventParseError, parseEventJson } from '../../events';
import { severity as severitySchema } from '../../events/fields';
import { emptyCounts } from '../../policy/severity';
import { planEvent, type Action } from '../../policy/plan';
import { CliError } from '../errors';

/**
 * `harbormaster simulate`: what the automation would do for one EventBridge event, with no AWS call.
 * It runs the same parser and planners as the functions, so its output is the functions' plan.
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

export interface SimulateOutput {
  /** null when the event's type is ignored before it can be normalized (e.g. a FAILED push). */
  readonly event: SimulatedEvent | null;
  readonly actions: readonly Action[];
  readonly ignored?: string;
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
  readonly event: string;
  readonly config: string;
  readonly now?: string;
  readonly existingTags?: string;
  readonly findings?: string;
}

/** Runs a simulation and returns the document to print; throws CliError (exit 2) for bad input. */
export function simulate(options: SimulateOptions): SimulateOutput {
  const text = readText(options.event, '--event');
  let parsed;
  try {
    parsed = parseEventJson(text);
  } catch (error) {
    if (error instanceof EventParseError)
      throw new CliError(`${options.event}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
  // An ignored event type needs no config; everything else is planned against it.
  if (isIgnored(parsed)) return { event: null, actions: [], ignored: parsed.ignored };
  const config = loadConfig(options.config);

  const existingTags = options.existingTags
    ?.split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const plan = planEvent(parsed, {
    config,
    now: options.now ? parseNow(options.now) : new Date(),
    ...(existingTags ? { existingTags } : {}),
    ...(options.findings ? { findings: readFindings(options.findings) } : {}),
  });
  const event = simulatedEvent(parsed);
  return isIgnored(plan) ? { event, actions: [], ignored: plan.ignored } : { event, actions: plan };
}

const EXAMPLE = `
Example:
  $ npx harbormaster simulate --event test/fixtures/events/ecr-image-push.json
  {
    "event": { "kind": "image.pushed", "account": "111122223333", "region": "eu-west-1",
               "repository": "payments/api", "digest": "sha256:...", "tags": ["v1.4.2"],
               "time": "2026-11-20T09:15:02Z" },
    "actions": [
      { "type": "audit", "action": "pushed", "detail": { "tags": ["v1.4.2"], "mediaType": "..." } },
      { "type": "tag", "reason": "auto-tag", "tags": ["v1.4", "v1", "latest"], "audit": "tagged" }
    ]
  }

  $ npx harbormaster simulate --event scan.json --config prod.yaml --findings findings.json --now 2027-04-01

Exit codes: 0 planned or ignored (then "ignored" says why), 2 malformed event, unreadable file or invalid config.
No AWS API is called: facts the functions would fetch (repository tags, finding details) come from
--existing-tags and --findings, or are taken as unknown.`;

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Print what the automation would do for one EventBridge event (no AWS calls).')
    .requiredOption(
      '--event <file>',
      'an EventBridge event as delivered (the full envelope), JSON; "-" reads stdin',
    )
    .option('--config <file>', 'Harbormaster config file', DEFAULT_CONFIG_PATH)
    .addOption(
      new Option(
        '--now <time>',
        'evaluate allowlist expiry at this ISO-8601 time (default: the current time)',
      ),
    )
    .option(
      '--existing-tags <tags>',
      'comma-separated tags already in the repository, for the semver cascade and latest',
    )
    .option(
      '--findings <file>',
      'JSON array of findings [{id, severity, packageName?, installedVersion?, fixedVersion?}] as if fetched',
    )
    .addHelpText('after', EXAMPLE)
    .action((options: SimulateOptions) => {
      const output = simulate(options);
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });
}
