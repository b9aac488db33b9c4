import type { SeverityThreshold } from '../../config/primitives';
import type { Finding, SeverityCounts, Verdict } from '../../domain/types';
import { formatCounts, isAboveThreshold as isAboveSeverity } from '../../policy/severity';
import { CliError } from '../errors';
import { packageChange } from './findings';

/** A gate verdict: decideVerdict's, or the one the automation recorded (which keeps no blocking counts). */
export type GateVerdict = Pick<Verdict, 'result' | 'reason' | 'allowlisted' | 'highestSeverity'> &
  Partial<Pick<Verdict, 'blockingCounts'>>;

/** One platform image of a multi-arch index, as the gate judged it. */
export interface GatePlatform {
  readonly platform: string;
  readonly digest: string;
  /** 'not-scanned' for attestation manifests; 'pending' while its scan is not judged yet. */
  readonly result: 'pass' | 'fail' | 'pending' | 'not-scanned';
  readonly reason: string;
  readonly counts?: SeverityCounts;
}

/** What the gate formatters need of a gate result (GateResult in commands/gate.ts satisfies it). */
export interface GateReportInput {
  readonly image: string;
  readonly digest: string;
  /** The threshold; undefined for a recorded verdict when no config says which one was deployed. */
  readonly maxSeverity?: SeverityThreshold;
  readonly counts: SeverityCounts;
  readonly verdict: GateVerdict;
  /** Most severe first; the formats list these (gate --top decides how many). */
  readonly topFindings: readonly Finding[];
  /** A multi-arch index: each platform image it lists, in the index's order. */
  readonly platforms?: readonly GatePlatform[];
}

export const GATE_FORMATS = ['text', 'json', 'sarif', 'junit', 'markdown'] as const;
export type GateFormat = (typeof GATE_FORMATS)[number];

const INFORMATION_URI = 'https://github.com/harbormaster/harbormaster';

/** Whether a finding is one the verdict counts against the image (above the threshold, not allowlisted). */
export function isBlocking(finding: Finding, input: GateReportInput): boolean {
  const allowlisted = new Set(input.verdict.allowlisted.map((id) => id.toUpperCase()));
  return isAboveThreshold(finding.severity, input) && !allowlisted.has(finding.id.toUpperCase());
}

/** A recorded verdict lists only its blocking findings: with no threshold known, each one is above it. */
function isAboveThreshold(severity: Finding['severity'], input: GateReportInput): boolean {
  return input.maxSeverity === undefined || isAboveSeverity(severity, input.maxSeverity);
}

/** "threshold MEDIUM", or what is known when the threshold is the deployed one. */
export function thresholdText(input: Pick<GateReportInput, 'maxSeverity'>): string {
  return input.maxSeverity ? `threshold ${input.maxSeverity}` : 'threshold as deployed';
}

function status(finding: Finding, input: GateReportInput): 'blocking' | 'allowlisted' | 'below threshold' {
  if (isBlocking(finding, input)) return 'blocking';
  return isAboveThreshold(finding.severity, input) ? 'allowlisted' : 'below threshold';
}

export function platformVerdict(p: GatePlatform): string {
  return p.result === 'not-scanned' ? 'not scanned' : p.result.toUpperCase();
}

/** The repository part of "repo:tag" / "repo@sha256:..." (a SARIF location for the image). */
function repositoryOf(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
}

/** SARIF 2.1.0 (GitHub code scanning): one rule per vulnerability id, one result per finding listed. */
export function formatSarif(input: GateReportInput): string {
  const ids = [...new Set(input.topFindings.map((f) => f.id))];
  const level = (f: Finding) =>
    isBlocking(f, input) ? 'error' : status(f, input) === 'allowlisted' ? 'note' : 'warning';
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'harbormaster',
            informationUri: INFORMATION_URI,
            rules: ids.map((id) => {
              const finding = input.topFindings.find((f) => f.id === id)!;
              return {
                id,
                shortDescription: { text: `${id} (${finding.severity})` },
                ...(finding.url ? { helpUri: finding.url } : {}),
                properties: { severity: finding.severity },
              };
            }),
          },
        },
        results: input.topFindings.map((f) => ({
          ruleId: f.id,
          ruleIndex: ids.indexOf(f.id),
          level: level(f),
          message: {
            text: `${f.id} (${f.severity}) in ${input.image}${packageChange(f) ? `: ${packageChange(f)}` : ''}; ${status(f, input)}`,
          },
          locations: [{ physicalLocation: { artifactLocation: { uri: repositoryOf(input.image) } } }],
          partialFingerprints: { imageFinding: `${input.digest}/${f.id}/${f.packageName ?? ''}` },
        })),
        properties: {
          image: input.image,
          digest: input.digest,
          verdict: input.verdict.result,
          ...(input.platforms ? { platforms: input.platforms } : {}),
        },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML (GitLab and most CI test reports): one test case for the verdict, failed with its reason when the
 * image fails, and one per blocking finding listed.
 */
export function formatJunit(input: GateReportInput): string {
  const blocking = input.topFindings.filter((f) => isBlocking(f, input));
  const cases = [
    input.verdict.result === 'fail'
      ? `    <testcase classname="harbormaster.gate" name="${xml(`verdict ${input.image}`)}">\n      <failure message="${xml(input.verdict.reason)}"/>\n    </testcase>`
      : `    <testcase classname="harbormaster.gate" name="${xml(`verdict ${input.image}`)}"/>`,
    ...blocking.map(
      (f) =>
        `    <testcase classname="harbormaster.gate.findings" name="${xml(`${f.id} ${f.packageName ?? ''}`.trim())}">\n      <failure message="${xml(`${f.severity} above ${input.maxSeverity ?? 'the threshold'}${packageChange(f) ? `: ${packageChange(f)}` : ''}`)}"/>\n    </testcase>`,
    ),
    // A multi-arch index: one case per scanned platform image, failed when that image fails.
    ...(input.platforms ?? [])
      .filter((p) => p.result !== 'not-scanned')
      .map((p) =>
        p.result === 'fail'
          ? `    <testcase classname="harbormaster.gate.platforms" name="${xml(p.platform)}">\n      <failure message="${xml(p.reason)}"/>\n    </testcase>`
          : `    <testcase classname="harbormaster.gate.platforms" name="${xml(p.platform)}"/>`,
      ),
  ];
  const failedPlatforms = (input.platforms ?? []).filter((p) => p.result === 'fail').length;
  const failures = (input.verdict.result === 'fail' ? 1 : 0) + blocking.length + failedPlatforms;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="harbormaster gate" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${xml(input.image)}" tests="${cases.length}" failures="${failures}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Markdown (a GitHub step summary, a merge request comment): verdict, counts, the findings listed. */
export function formatMarkdown(input: GateReportInput): string {
  const passed = input.verdict.result === 'pass';
  const lines = [
    `### ${passed ? '✅' : '❌'} harbormaster gate: \`${input.image}\` ${passed ? 'passes' : 'fails'}`,
    '',
    `- verdict: **${input.verdict.result.toUpperCase()}** (${input.verdict.reason.replace(/^(pass|fail): /, '')})`,
    `- findings: ${formatCounts(input.counts)} (${thresholdText(input)})`,
    `- digest: \`${input.digest}\``,
  ];
  if (input.platforms) {
    lines.push('', '| platform | verdict | reason |', '|---|---|---|');
    for (const p of input.platforms) {
      lines.push(`| ${cell(p.platform)} | ${platformVerdict(p)} | ${cell(p.reason)} |`);
    }
  }
  if (input.verdict.allowlisted.length > 0)
    lines.push(`- allowlisted: ${input.verdict.allowlisted.join(', ')}`);
  if (input.topFindings.length > 0) {
    lines.push('', '| severity | id | package | status |', '|---|---|---|---|');
    for (const f of input.topFindings) {
      const id = f.url ? `[${cell(f.id)}](${f.url})` : cell(f.id);
      lines.push(`| ${f.severity} | ${id} | ${cell(packageChange(f))} | ${status(f, input)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The gate result in one of the machine formats (text stays with the command). */
export function formatGateReport(input: GateReportInput, format: Exclude<GateFormat, 'text'>): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(input, null, 2)}\n`;
    case 'sarif':
      return formatSarif(input);
    case 'junit':
      return formatJunit(input);
    case 'markdown':
      return formatMarkdown(input);
  }
}

/** Parses --format; --json is kept as a shorthand for --format json. */
export function parseGateFormat(value: string | undefined, json: boolean | undefined): GateFormat {
  if (value === undefined) return json ? 'json' : 'text';
  const format = value.toLowerCase() as GateFormat;
  if (!GATE_FORMATS.includes(format)) {
    throw new CliError(`--format: expected one of ${GATE_FORMATS.join(', ')}, got "${value}"`);
  }
  return format;
}
