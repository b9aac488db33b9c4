/**
 * `npm run bench`: the automation functions against their budgets (DESIGN.md, "Performance budgets").
 *
 * 1. Bundle size and module init time of each function, bundled exactly as
 *    infra/constructs/harbormaster-function.ts does (esbuild, minified, CJS, node24, SDK bundled, the
 *    example config compiled in), against a floor bundle that holds only the SDK clients the function uses.
 *    Budgets: size <= 1.10x the floor, init <= 1.15x the floor (median of N fresh `node` processes).
 * 2. AWS calls per event, counted against the real orchestration code (shared/automation) with
 *    aws-sdk-client-mock for ECR, SNS and SQS and a real DynamoDB implementation (dynalite, in-process,
 *    so conditional writes and duplicates behave as in AWS).
 *
 * Prints a table, writes .bench/functions.json, exits 1 when a budget is broken.
 * Options (environment): BENCH_RUNS (init-time runs per bundle, default 21).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  ListImagesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AuditStore } from '../shared/audit/store';
import type { AutomationDeps, EventOutcome } from '../shared/automation/execute-plan';
import { onImageEvent } from '../shared/automation/on-image-event';
import { onScanEvent } from '../shared/automation/on-scan-event';
import { loadConfig } from '../shared/config/load';
import type { HarbormasterConfig } from '../shared/config/schema';
import type {
  FindingEvent,
  ImageEvent,
  NormalizedEvent,
  ReplicationEvent,
  ScanEvent,
} from '../shared/domain/types';
import { isIgnored } from '../shared/domain/types';
import { parseEvent } from '../shared/events';
import { configDefine } from '../shared/runtime/runtime-config';
import { ImageStateStore } from '../shared/state/image-state-store';
import { createAuditTable, createStateTable, startDynalite } from '../test/support/dynalite';

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, '.bench');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const SIZE_BUDGET = 1.1;
const INIT_BUDGET = 1.15;

interface FunctionSpec {
  readonly name: string;
  /** [package, client class] of every SDK client the function uses. */
  readonly clients: readonly (readonly [string, string])[];
}

const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'image-events',
    clients: [
      ['@aws-sdk/client-ecr', 'ECRClient'],
      ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
    ],
  },
  {
    name: 'scan-events',
    clients: [
      ['@aws-sdk/client-ecr', 'ECRClient'],
      ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
      ['@aws-sdk/client-sns', 'SNSClient'],
      ['@aws-sdk/client-sqs', 'SQSClient'],
    ],
  },
  { name: 'slack-notifier', clients: [['@aws-sdk/client-secrets-manager', 'SecretsManagerClient']] },
  {
    name: 'replicator',
    clients: [
      ['@aws-sdk/client-ecr', 'ECRClient'],
      ['@aws-sdk/client-dynamodb', 'DynamoDBClient'],
      ['@aws-sdk/client-sns', 'SNSClient'],
      ['@aws-sdk/client-secrets-manager', 'SecretsManagerClient'],
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Bundles and init time

/** The esbuild options HarbormasterFunction passes (NodejsFunction bundling: minify, CJS, node24, nothing external). */
function bundleOptions(config: HarbormasterConfig) {
  return {
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'cjs' as const,
    platform: 'node' as const,
    target: 'node24',
    external: [],
    define: configDefine(config),
    logLevel: 'warning' as const,
  };
}

async function bundle(entry: string, outfile: string, config: HarbormasterConfig): Promise<number> {
  await build({ ...bundleOptions(config), entryPoints: [entry], outfile });
  return statSync(outfile).size;
}

function floorEntry(spec: FunctionSpec): string {
  const imports = spec.clients.map(([pkg, cls]) => `import { ${cls} } from '${pkg}';`).join('\n');
  const news = spec.clients.map(([, cls]) => `new ${cls}({})`).join(', ');
  const file = path.join(OUT, 'floors', `${spec.name}.ts`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    `// Floor for ${spec.name}: only its SDK clients, instantiated once.\n${imports}\nexport const clients = [${news}];\n`,
  );
  return file;
}

/** Milliseconds to require() the bundle in a fresh node process (node's own startup excluded). */
function initOnce(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, AWS_REGION: 'eu-west-1', NODE_OPTIONS: '' },
    encoding: 'utf8',
    // The SDK's Node-version notice goes to stderr in every run alike: not part of the figures.
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(out);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface BundleResult {
  readonly name: string;
  readonly bytes: number;
  readonly floorBytes: number;
  readonly sizeRatio: number;
  readonly initMs: number;
  readonly floorInitMs: number;
  readonly initRatio: number;
  readonly ok: boolean;
}

async function measureBundles(config: HarbormasterConfig): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  for (const spec of FUNCTIONS) {
    const fnFile = path.join(OUT, 'bundles', `${spec.name}.js`);
    const floorFile = path.join(OUT, 'bundles', `${spec.name}.floor.js`);
    const bytes = await bundle(path.join(ROOT, 'functions', spec.name, 'index.ts'), fnFile, config);
    const floorBytes = await bundle(floorEntry(spec), floorFile, config);
    // Alternate the two so drift on a shared machine hits both alike; one warm-up each for the file cache.
    initOnce(fnFile);
    initOnce(floorFile);
    const fnTimes: number[] = [];
    const floorTimes: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      fnTimes.push(initOnce(fnFile));
      floorTimes.push(initOnce(floorFile));
    }
    const initMs = median(fnTimes);
    const floorInitMs = median(floorTimes);
    const sizeRatio = bytes / floorBytes;
    const initRatio = initMs / floorInitMs;
    results.push({
      name: spec.name,
      bytes,
      floorBytes,
      sizeRatio,
      initMs,
      floorInitMs,
      initRatio,
      ok: sizeRatio <= SIZE_BUDGET && initRatio <= INIT_BUDGET,
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// AWS calls per event

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'events');
/** Calls that change something outside the audit table (audit rows are counted by what the table holds). */
const SIDE_EFFECTS = new Set(['PutImage', 'BatchDeleteImage', 'Publish', 'SendMessage']);

function event<E extends NormalizedEvent>(
  fixture: string,
  change?: (raw: { detail: Record<string, unknown> }) => void,
): E {
  const raw = JSON.parse(readFileSync(path.join(FIXTURES, `${fixture}.json`), 'utf8'));
  change?.(raw);
  const parsed = parseEvent(raw);
  if (isIgnored(parsed)) throw new Error(`bench fixture ${fixture} is ignored: ${parsed.ignored}`);
  return parsed as E;
}

interface Scenario {
  readonly name: string;
  /** Budget on AWS calls (DESIGN.md), or undefined when DESIGN sets none (reported only). */
  readonly budget?: number;
  /** Events delivered in order; the counted delivery is the last one. */
  readonly deliveries: readonly NormalizedEvent[];
  /** For duplicates: the counted delivery must change nothing (no audit row, no tag, no alert, no message). */
  readonly noWrites?: boolean;
}

interface CallResult {
  readonly name: string;
  readonly calls: number;
  /** Side effects of the counted delivery: ECR tag writes, SNS publishes, SQS sends, plus audit rows added. */
  readonly writes: number;
  readonly budget?: number;
  readonly byOperation: Record<string, number>;
  readonly outcome: string;
  readonly ok: boolean;
}

async function measureCalls(config: HarbormasterConfig): Promise<CallResult[]> {
  const failingScan = event<ScanEvent>('ecr-image-scan-basic');
  const semverPush = event<ImageEvent>('ecr-image-push');
  const scenarios: Scenario[] = [
    {
      name: 'push, no tag rule',
      budget: 1,
      deliveries: [
        event<ImageEvent>('ecr-image-push', (e) => {
          e.detail['repository-name'] = 'platform/tools';
          e.detail['image-tag'] = 'build-77';
        }),
      ],
    },
    { name: 'push, semver cascade (v1.4.2 -> v1.4, v1, latest)', deliveries: [semverPush] },
    {
      name: 'passing scan (counts decide; promotion tag)',
      budget: 3,
      deliveries: [
        event<ScanEvent>('inspector2-scan', (e) => {
          e.detail['finding-severity-counts'] = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: 4 };
        }),
      ],
    },
    {
      name: 'passing scan + gated replication enqueue',
      deliveries: [
        event<ScanEvent>('ecr-image-scan-basic-clean', (e) => {
          e.detail['repository-name'] = 'payments/api';
          e.detail['image-tags'] = ['v1.4.2', 'latest'];
        }),
      ],
    },
    { name: 'failing scan with an alert (+ quarantine)', budget: 5, deliveries: [failingScan] },
    { name: 'duplicated delivery (failing scan)', deliveries: [failingScan, failingScan], noWrites: true },
    { name: 'duplicated delivery (semver push)', deliveries: [semverPush, semverPush], noWrites: true },
  ];

  const db = await startDynalite();
  const ops: string[] = [];
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      ops.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  const ecr = mockClient(ECRClient);
  const sns = mockClient(SNSClient);
  const sqs = mockClient(SQSClient);
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const results: CallResult[] = [];
  try {
    let n = 0;
    for (const scenario of scenarios) {
      n += 1;
      const tableName = `bench-audit-${n}`;
      await createAuditTable(db.client, tableName);
      const stateTable = `bench-state-${n}`;
      await createStateTable(db.client, stateTable);
      for (const m of [ecr, sns, sqs]) m.reset();
      ecr
        .on(ListImagesCommand)
        .resolves({ imageIds: [{ imageTag: 'v1.4.1' }, { imageTag: 'v1.3.0' }, { imageTag: 'latest' }] });
      ecr.on(BatchGetImageCommand).resolves({
        images: [
          {
            imageManifest: '{"schemaVersion":2}',
            imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
          },
        ],
      });
      ecr.on(PutImageCommand).resolves({});
      ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
      ecr.on(DescribeImageScanFindingsCommand).resolves({
        imageScanFindings: {
          findings: [
            {
              name: 'CVE-2024-0001',
              severity: 'HIGH',
              attributes: [{ key: 'package_name', value: 'openssl' }],
            },
            { name: 'CVE-2024-0002', severity: 'HIGH' },
            { name: 'CVE-2024-0101', severity: 'MEDIUM' },
          ],
        },
      });
      sns.on(PublishCommand).resolves({ MessageId: 'm' });
      sqs.on(SendMessageCommand).resolves({ MessageId: 'q' });

      const deps: AutomationDeps = {
        ecr: new ECRClient({ region: 'eu-west-1' }),
        audit: new AuditStore(db.client, { tableName, retentionDays: config.audit.retentionDays }),
        config,
        now: () => new Date('2026-11-20T10:00:00Z'),
        log: silent,
      };
      const scanDeps = {
        ...deps,
        sns: new SNSClient({ region: 'eu-west-1' }),
        sqs: new SQSClient({ region: 'eu-west-1' }),
        topicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
        replicationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication',
        state: new ImageStateStore(db.client, stateTable),
        leaseMs: 90_000,
      };
      const deliver = (e: NormalizedEvent): Promise<EventOutcome> =>
        e.kind === 'scan.completed' || e.kind === 'finding.updated'
          ? onScanEvent(e as ScanEvent | FindingEvent, scanDeps)
          : onImageEvent(e as ImageEvent | ReplicationEvent, deps);

      const auditRows = async (): Promise<number> => {
        const out = await db.client.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }));
        return out.Count ?? 0;
      };
      let outcome: EventOutcome | undefined;
      let rowsBefore = 0;
      for (const [i, delivery] of scenario.deliveries.entries()) {
        if (i === scenario.deliveries.length - 1) {
          rowsBefore = await auditRows();
          ops.length = 0;
          for (const m of [ecr, sns, sqs]) m.resetHistory();
        }
        outcome = await deliver(delivery);
      }
      const counted = ops.length;
      const rowsAdded = (await auditRows()) - rowsBefore;
      ops.length = counted;
      const all = [
        ...ops,
        ...[ecr, sns, sqs].flatMap((m) =>
          m.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, '')),
        ),
      ];
      const byOperation: Record<string, number> = {};
      for (const op of all) byOperation[op] = (byOperation[op] ?? 0) + 1;
      const writes = all.filter((op) => SIDE_EFFECTS.has(op)).length + rowsAdded;
      const ok =
        (scenario.budget === undefined || all.length <= scenario.budget) &&
        (!scenario.noWrites || writes === 0);
      results.push({
        name: scenario.name,
        calls: all.length,
        writes,
        ...(scenario.budget !== undefined ? { budget: scenario.budget } : {}),
        byOperation,
        outcome:
          outcome?.status === 'done' ? `done: ${outcome.actions.join(', ')}` : (outcome?.status ?? 'none'),
        ok,
      });
    }
  } finally {
    ecr.restore();
    sns.restore();
    sqs.restore();
    await db.close();
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const config = loadConfig(path.join(ROOT, 'harbormaster.config.yaml'));
  const bundles = await measureBundles(config);
  const calls = await measureCalls(config);

  console.log(
    `\nFunction bundles (esbuild as HarbormasterFunction; init = median of ${RUNS} fresh node ${process.version} processes)`,
  );
  console.table(
    bundles.map((b) => ({
      function: b.name,
      bundle: kb(b.bytes),
      floor: kb(b.floorBytes),
      'size x': `${b.sizeRatio.toFixed(2)} (<= ${SIZE_BUDGET})`,
      'init ms': b.initMs.toFixed(1),
      'floor ms': b.floorInitMs.toFixed(1),
      'init x': `${b.initRatio.toFixed(2)} (<= ${INIT_BUDGET})`,
      ok: b.ok ? 'yes' : 'NO',
    })),
  );
  console.log(
    '\nAWS calls per event (real orchestration; ECR/SNS/SQS mocked, DynamoDB = dynalite; operations grouped by client)',
  );
  console.table(
    calls.map((c) => ({
      event: c.name,
      calls: c.calls,
      budget: c.budget ?? '-',
      'side effects': c.writes,
      operations: Object.entries(c.byOperation)
        .map(([op, n]) => (n > 1 ? `${op} x${n}` : op))
        .join(', '),
      ok: c.ok ? 'yes' : 'NO',
    })),
  );

  const report = {
    node: process.version,
    runs: RUNS,
    budgets: { size: SIZE_BUDGET, init: INIT_BUDGET },
    bundles,
    calls,
    ok: bundles.every((b) => b.ok) && calls.every((c) => c.ok),
  };
  writeFileSync(path.join(OUT, 'functions.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwritten: ${path.relative(ROOT, path.join(OUT, 'functions.json'))}`);
  if (!report.ok) {
    const broken = [
      ...bundles.flatMap((b) => [
        ...(b.sizeRatio > SIZE_BUDGET ? [`${b.name} size ${b.sizeRatio.toFixed(3)}x > ${SIZE_BUDGET}x`] : []),
        ...(b.initRatio > INIT_BUDGET ? [`${b.name} init ${b.initRatio.toFixed(3)}x > ${INIT_BUDGET}x`] : []),
      ]),
      ...calls.filter((c) => !c.ok).map((c) => c.name),
    ];
    console.error(`budget broken: ${broken.join('; ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
