import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toAttributeMap } from '../../shared/audit/attribute-values';
import { imageStateKey } from '../../shared/state/image-state-store';
import { packThisPackage } from '../support/packed-package';
import { recorded } from '../support/image-state';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const DIGEST = `sha256:${'a'.repeat(64)}`;

interface ActionStep {
  name: string;
  id?: string;
  shell: string;
  env?: Record<string, string>;
  run: string;
}
interface Action {
  inputs: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; steps: ActionStep[] };
}

/**
 * A stand-in for the ECR API: one image, its scan complete with the given counts and findings; and for
 * DynamoDB's GetItem on the image-state table when `state` is given (the verdict the automation recorded).
 */
function fakeEcr(
  counts: Record<string, number>,
  findings: { name: string; severity: string }[],
  state?: { table: string; verdict: ReturnType<typeof recorded> },
) {
  const calls: string[] = [];
  const server = http.createServer((request, response) => {
    const target = String(request.headers['x-amz-target']).split('.').pop()!;
    calls.push(target);
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    if (target === 'GetItem' && state) {
      request.on('end', () => {
        const asked = JSON.parse(body) as { TableName: string; Key: { pk: { S: string } } };
        const key = { repository: 'payments/api', digest: DIGEST };
        if (asked.TableName !== state.table || asked.Key.pk.S !== imageStateKey(key)) {
          response.end('{}');
          return;
        }
        const item = {
          pk: { S: imageStateKey(key) },
          state: { M: toAttributeMap({ ...key, verdict: state.verdict }) },
          version: { N: '2' },
        };
        response.end(JSON.stringify({ Item: item }));
      });
    } else if (target === 'DescribeImages') {
      response.end(JSON.stringify({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1'] }] }));
    } else if (target === 'DescribeImageScanFindings') {
      response.end(
        JSON.stringify({
          imageScanStatus: { status: 'COMPLETE' },
          imageScanFindings: { findingSeverityCounts: counts, findings },
        }),
      );
    } else {
      response.writeHead(400);
      response.end('{}');
    }
  });
  return {
    calls,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Runs a script with bash asynchronously (the fake ECR server answers in this process meanwhile). */
function bash(script: string, env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', () => undefined);
    child.on('exit', (code: number) => resolve(code));
  });
}

let work: string;
let tarball: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'hm-ci-'));
  tarball = await packThisPackage(work);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const awsEnv = (endpoint: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: work,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'eu-west-1',
  AWS_ENDPOINT_URL: endpoint,
});

/** Runs the action's steps as GitHub does: inputs into env, GITHUB_ENV lines applied to the next steps. */
async function runAction(inputs: Record<string, string>, endpoint: string) {
  const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Action;
  expect(action.runs.using).toBe('composite');
  const runDir = mkdtempSync(path.join(work, 'run-'));
  const files = {
    GITHUB_ENV: path.join(runDir, 'env'),
    GITHUB_OUTPUT: path.join(runDir, 'output'),
    GITHUB_STEP_SUMMARY: path.join(runDir, 'summary.md'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const value = (name: string) => inputs[name] ?? action.inputs[name]?.default ?? '';
  let exported: Record<string, string> = {};
  let code = 0;
  for (const step of action.runs.steps) {
    const env: NodeJS.ProcessEnv = { ...awsEnv(endpoint), ...files, RUNNER_TEMP: runDir, ...exported };
    for (const [key, expr] of Object.entries(step.env ?? {})) {
      env[key] = expr.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_m, name: string) => value(name));
    }
    expect(step.shell).toBe('bash');
    code = await bash(step.run, env, runDir);
    exported = Object.fromEntries(
      readFileSync(files.GITHUB_ENV, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    if (code !== 0) break;
  }
  return {
    code,
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    output: readFileSync(files.GITHUB_OUTPUT, 'utf8'),
    runDir,
  };
}

describe('the GitHub Action (action.yml) running the packed CLI', () => {
  it('passes a clean image: exit 0, a passing job summary, exit-code output', async () => {
    // Prepare
    const ecr = fakeEcr({}, []);
    const endpoint = await ecr.start();
    try {
      // Act
      const result = await runAction(
        { image: 'payments/api:v1', 'max-severity': 'HIGH', package: tarball },
        endpoint,
      );

      // Assess
      expect(result.code).toBe(0);
      expect(result.output).toBe('exit-code=0\n');
      expect(result.summary).toContain('### ✅ harbormaster gate: `payments/api:v1` passes');
      expect(ecr.calls).toEqual(['DescribeImages', 'DescribeImageScanFindings']);
    } finally {
      await ecr.stop();
    }
  });

  it('fails an image with a CRITICAL finding: exit 1, the finding in the summary, SARIF written to output-file', async () => {
    // Prepare
    const ecr = fakeEcr({ CRITICAL: 1 }, [{ name: 'CVE-2024-1111', severity: 'CRITICAL' }]);
    const endpoint = await ecr.start();
    try {
      // Act
      const result = await runAction(
        {
          image: 'payments/api:v1',
          'max-severity': 'HIGH',
          format: 'sarif',
          'output-file': 'gate.sarif',
          package: tarball,
        },
        endpoint,
      );

      // Assess
      expect(result.code).toBe(1);
      expect(result.output).toBe('exit-code=1\n');
      expect(result.summary).toContain('### ❌ harbormaster gate: `payments/api:v1` fails');
      expect(result.summary).toContain('| CRITICAL | CVE-2024-1111 |');
      const sarif = JSON.parse(readFileSync(path.join(result.runDir, 'gate.sarif'), 'utf8'));
      expect(
        sarif.runs[0].results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level]),
      ).toEqual([['CVE-2024-1111', 'error']]);
    } finally {
      await ecr.stop();
    }
  });
  it('with state-table, passes on the verdict the automation recorded, reading no ECR scan', async () => {
    // Prepare: ECR's own scan would fail the image; the recorded verdict (e.g. an allowlisted finding) passes.
    const ecr = fakeEcr({ CRITICAL: 1 }, [{ name: 'CVE-2024-1111', severity: 'CRITICAL' }], {
      table: 'HarbormasterAutomation-ImageStateTable',
      verdict: recorded('pass', 'pass: nothing above threshold HIGH'),
    });
    const endpoint = await ecr.start();
    try {
      // Act
      const result = await runAction(
        {
          image: 'payments/api:v1',
          'state-table': 'HarbormasterAutomation-ImageStateTable',
          package: tarball,
        },
        endpoint,
      );

      // Assess
      expect(result.code).toBe(0);
      expect(result.output).toBe('exit-code=0\n');
      expect(ecr.calls).toEqual(['DescribeImages', 'GetItem']);
    } finally {
      await ecr.stop();
    }
  });
});

describe('the GitLab CI template (ci-templates/gitlab/harbormaster-gate.yml)', () => {
  it('runs its script lines like the runner (bash -eo pipefail): exit 1 and a JUnit report', async () => {
    // Prepare
    const template = parse(
      readFileSync(path.join(ROOT, 'ci-templates/gitlab/harbormaster-gate.yml'), 'utf8'),
    );
    const job = template['.harbormaster-gate'] as {
      script: string[];
      variables: Record<string, string>;
      artifacts: unknown;
    };
    const ecr = fakeEcr({ HIGH: 2 }, [
      { name: 'CVE-2024-2222', severity: 'HIGH' },
      { name: 'CVE-2024-3333', severity: 'HIGH' },
    ]);
    const endpoint = await ecr.start();
    const project = mkdtempSync(path.join(work, 'gitlab-'));
    try {
      // Act
      const code = await bash(
        ['set -eo pipefail', ...job.script].join('\n'),
        {
          ...awsEnv(endpoint),
          ...job.variables,
          CI_PROJECT_DIR: project,
          HARBORMASTER_IMAGE: 'payments/api:v1',
          HARBORMASTER_MAX_SEVERITY: 'MEDIUM',
          HARBORMASTER_PACKAGE: tarball,
        },
        project,
      );

      // Assess
      expect(code).toBe(1);
      const report = readFileSync(path.join(project, job.variables.HARBORMASTER_REPORT), 'utf8');
      expect(report).toContain('<testsuites name="harbormaster gate" tests="3" failures="3">');
      expect(job.artifacts).toEqual({ when: 'always', reports: { junit: '$HARBORMASTER_REPORT' } });
    } finally {
      await ecr.stop();
    }
  });
});
