import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import {
  ALERT_ATTRIBUTE,
  SEVERITIES_DESC,
  countsSummary,
  imageLabel,
  packageLine,
  type FindingsAlert,
} from './alert';

/** SNS rejects subjects of 100 characters or more, and ones with line breaks or non-ASCII characters. */
export const SNS_SUBJECT_MAX = 99;
const LIST_LIMIT = 20;

export interface SnsAlertMessage {
  /** Email subject: "[Harbormaster] FAIL payments/api:v1.4.2 - 2 CRITICAL, 1 HIGH". */
  readonly Subject: string;
  /** Plain text that reads well as an email. */
  readonly Message: string;
  /** For per-team subscription filter policies: repository, team, verdict, highestSeverity; plus the alert JSON. */
  readonly MessageAttributes: Record<string, MessageAttributeValue>;
}

/** Builds the findings topic message for one alert (pure; the caller adds TopicArn and publishes). */
export function buildSnsAlert(alert: FindingsAlert): SnsAlertMessage {
  return {
    Subject: subject(alert),
    Message: body(alert),
    MessageAttributes: {
      repository: str(alert.repository),
      team: str(alert.team),
      verdict: str(alert.verdict.result),
      highestSeverity: str(alert.verdict.highestSeverity ?? 'NONE'),
      [ALERT_ATTRIBUTE]: str(JSON.stringify(alert)),
    },
  };
}

function str(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function subject(alert: FindingsAlert): string {
  const verdict = alert.verdict.result.toUpperCase();
  const quarantine = alert.quarantinedTags.length > 0 ? ' (quarantined)' : '';
  const raw = `[Harbormaster] ${verdict} ${imageLabel(alert)} - ${countsSummary(alert.severityCounts)}${quarantine}`;
  // ASCII printable only, one line, under the SNS limit.
  const clean = raw.replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= SNS_SUBJECT_MAX ? clean : `${clean.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}

function listIds(ids: readonly string[]): string {
  const shown = ids.slice(0, LIST_LIMIT).join(', ');
  return ids.length > LIST_LIMIT ? `${shown} and ${ids.length - LIST_LIMIT} more` : shown;
}

function body(alert: FindingsAlert): string {
  const lines: string[] = [];
  const verdict = alert.verdict.result === 'fail' ? 'FAILED' : 'PASSED';
  lines.push(`${imageLabel(alert)} ${verdict} its ${alert.scanner} scan.`);
  lines.push(`Verdict: ${alert.verdict.reason}`);
  lines.push('');

  if (alert.quarantinedTags.length > 0) {
    lines.push(
      `QUARANTINED: release tags removed: ${alert.quarantinedTags.join(', ')}. ` +
        `The image itself is kept and can still be pulled by digest.`,
    );
    lines.push('');
  }

  lines.push('Findings by severity:');
  for (const s of SEVERITIES_DESC) lines.push(`  ${s.padEnd(13)} ${alert.severityCounts[s]}`);
  lines.push('');

  if (alert.topFindings.length > 0) {
    lines.push('Top findings (package installed -> fixed):');
    for (const f of alert.topFindings) {
      const pkg = packageLine(f);
      lines.push(`  ${f.severity.padEnd(13)} ${f.id}${pkg ? `  ${pkg}` : ''}`);
    }
    lines.push('');
  }

  if (alert.firstScan) {
    lines.push('First scan result recorded for this image.');
  } else {
    lines.push(
      alert.newFindings.length > 0
        ? `New since the previous scan (${alert.newFindings.length}): ${listIds(alert.newFindings)}`
        : 'New since the previous scan: none',
    );
    lines.push(
      alert.fixedFindings.length > 0
        ? `Fixed since the previous scan (${alert.fixedFindings.length}): ${listIds(alert.fixedFindings)}`
        : 'Fixed since the previous scan: none',
    );
  }
  lines.push('');

  lines.push(`All findings in the ECR console: ${alert.consoleUrl}`);
  lines.push('');
  lines.push(`Repository: ${alert.repository}`);
  lines.push(`Team:       ${alert.team}`);
  lines.push(`Tags:       ${alert.tags.length > 0 ? alert.tags.join(', ') : '(none)'}`);
  lines.push(`Digest:     ${alert.digest}`);
  lines.push(`Account:    ${alert.account} (${alert.region})`);
  lines.push(`Event:      ${alert.eventId}`);
  lines.push('');
  lines.push('Sent by Harbormaster. You get this because your team owns the repository.');
  return lines.join('\n');
}
