import {
  ECRClient,
  GetLifecyclePolicyPreviewCommand,
  StartLifecyclePolicyPreviewCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';

const ecr = mockClient(ECRClient);
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const DIGEST_C = `sha256:${'c'.repeat(64)}`;

const CONFIG = `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - name: payments/api
    team: payments
    releaseTags: ["v*"]
    lifecycle:
      untaggedAfterDays: 7
      keepLast: 30
  - name: payments/no-rules
    team: payments
`;

let configPath: string;
let out: string;
let err: string;
let clock: number;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'hm-lifecycle-preview-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
});

beforeEach(() => {
  ecr.reset();
  out = '';
  err = '';
  clock = Date.parse('2026-11-20T10:00:00Z');
  configureCliDeps({
    out: (text) => {
      out += text;
    },
    now: () => new Date(clock),
    sleep: async (ms) => {
      clock += ms;
    },
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

const cli = (...args: string[]) => run(['lifecycle-preview', ...args, '--region', 'eu-west-1']);

describe('harbormaster lifecycle-preview', () => {
  it('previews the policy the config would deploy and prints each image with its rule and description', async () => {
    // Prepare
    ecr.on(StartLifecyclePolicyPreviewCommand).resolves({ status: 'IN_PROGRESS' });
    ecr
      .on(GetLifecyclePolicyPreviewCommand)
      .resolvesOnce({ status: 'IN_PROGRESS' })
      .resolves({
        status: 'COMPLETE',
        previewResults: [
          {
            imageDigest: DIGEST_A,
            imageTags: [],
            imagePushedAt: new Date('2026-11-01T08:00:00Z'),
            action: { type: 'EXPIRE' },
            appliedRulePriority: 1,
          },
        ],
        summary: { expiringImageTotalCount: 1 },
      });

    // Act
    const code = await cli('payments/api', '--config', configPath);

    // Assess
    expect(code).toBe(0);
    const sent = ecr.commandCalls(StartLifecyclePolicyPreviewCommand)[0].args[0].input;
    expect(sent.repositoryName).toBe('payments/api');
    const policy = JSON.parse(sent.lifecyclePolicyText ?? '{}');
    expect(policy.rules.map((r: { rulePriority: number }) => r.rulePriority)).toEqual([1, 2]);
    expect(ecr).toHaveReceivedCommandTimes(GetLifecyclePolicyPreviewCommand, 2);
    expect(out).toContain(DIGEST_A);
    expect(out).toContain('<untagged>');
    expect(out).toContain('2026-11-01T08:00:00Z');
    expect(out).toContain('Harbormaster: expire untagged images 7 days after push');
    expect(out).toContain('1 image(s) in payments/api would expire under the policy in the config');
  });

  it('follows nextToken through every result page and prints JSON for scripts', async () => {
    // Prepare
    ecr.on(StartLifecyclePolicyPreviewCommand).resolves({});
    ecr
      .on(GetLifecyclePolicyPreviewCommand)
      .resolvesOnce({
        status: 'COMPLETE',
        nextToken: 'page-2',
        summary: { expiringImageTotalCount: 3 },
        previewResults: [
          {
            imageDigest: DIGEST_B,
            imageTags: ['v1.0.0'],
            action: { type: 'EXPIRE' },
            appliedRulePriority: 2,
          },
        ],
      })
      .resolvesOnce({
        status: 'COMPLETE',
        nextToken: 'page-3',
        previewResults: [
          { imageDigest: DIGEST_A, imageTags: [], action: { type: 'EXPIRE' }, appliedRulePriority: 1 },
        ],
      })
      .resolvesOnce({
        status: 'COMPLETE',
        previewResults: [
          {
            imageDigest: DIGEST_C,
            imageTags: ['v0.9.0'],
            action: { type: 'EXPIRE' },
            appliedRulePriority: 2,
          },
        ],
      });

    // Act
    const code = await cli('payments/api', '--config', configPath, '--json');

    // Assess
    expect(code).toBe(0);
    const pages = ecr.commandCalls(GetLifecyclePolicyPreviewCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { repositoryName: 'payments/api', maxResults: 100 },
      { repositoryName: 'payments/api', maxResults: 100, nextToken: 'page-2' },
      { repositoryName: 'payments/api', maxResults: 100, nextToken: 'page-3' },
    ]);
    const report = JSON.parse(out);
    expect(report.source).toBe('config');
    expect(report.expiringCount).toBe(3);
    expect(report.images.map((i: { digest: string }) => i.digest)).toEqual([DIGEST_A, DIGEST_B, DIGEST_C]);
    expect(report.images[1]).toMatchObject({
      tags: ['v1.0.0'],
      action: 'EXPIRE',
      rulePriority: 2,
      ruleDescription: 'Harbormaster: keep the last 30 images tagged v*',
    });
  });

  it('previews the deployed policy with --deployed, describing rules from the policy ECR returns', async () => {
    // Prepare
    ecr.on(StartLifecyclePolicyPreviewCommand).resolves({});
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves({
      status: 'COMPLETE',
      lifecyclePolicyText: JSON.stringify({
        rules: [{ rulePriority: 5, description: 'old rule', selection: {}, action: { type: 'expire' } }],
      }),
      previewResults: [
        { imageDigest: DIGEST_A, imageTags: ['pr-12'], action: { type: 'EXPIRE' }, appliedRulePriority: 5 },
      ],
    });

    // Act
    const code = await cli('unmanaged/repo', '--deployed');

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandWith(StartLifecyclePolicyPreviewCommand, {
      repositoryName: 'unmanaged/repo',
    });
    expect(
      ecr.commandCalls(StartLifecyclePolicyPreviewCommand)[0].args[0].input.lifecyclePolicyText,
    ).toBeUndefined();
    expect(out).toContain('old rule');
    expect(out).toContain('under the deployed policy');
  });

  it('exits 2 when the preview never completes before --timeout', async () => {
    // Prepare
    ecr.on(StartLifecyclePolicyPreviewCommand).resolves({});
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves({ status: 'IN_PROGRESS' });

    // Act
    const code = await cli('payments/api', '--config', configPath, '--timeout', '1m', '--poll', '10s');

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(/timed out after 60s waiting for the lifecycle preview of payments\/api/);
    expect(ecr.commandCalls(GetLifecyclePolicyPreviewCommand).length).toBeGreaterThanOrEqual(6);
    expect(ecr.commandCalls(GetLifecyclePolicyPreviewCommand).length).toBeLessThanOrEqual(7);
  });

  it('exits 2 with a one-line error when the preview FAILED, a repository is unmanaged, or has no rules', async () => {
    // Prepare
    ecr.on(StartLifecyclePolicyPreviewCommand).resolves({});
    ecr.on(GetLifecyclePolicyPreviewCommand).resolves({ status: 'FAILED' });

    // Act
    const failed = await cli('payments/api', '--config', configPath);
    const unmanaged = await cli('other/repo', '--config', configPath);
    const noRules = await cli('payments/no-rules', '--config', configPath);

    // Assess
    expect([failed, unmanaged, noRules]).toEqual([2, 2, 2]);
    expect(err).toContain('ended with status FAILED');
    expect(err).toContain('other/repo is not managed in');
    expect(err).toContain('payments/no-rules has no lifecycle rules in');
    expect(ecr).toHaveReceivedCommandTimes(StartLifecyclePolicyPreviewCommand, 1);
  });

  it('explains a preview that is already running', async () => {
    // Prepare
    const busy = Object.assign(new Error('in progress'), {
      name: 'LifecyclePolicyPreviewInProgressException',
    });
    ecr.on(StartLifecyclePolicyPreviewCommand).rejects(busy);

    // Act
    const code = await cli('payments/api', '--config', configPath);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain('a lifecycle preview is already running for payments/api');
    expect(ecr).toHaveReceivedCommandTimes(GetLifecyclePolicyPreviewCommand, 0);
  });
});
