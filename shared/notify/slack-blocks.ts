import { SEVERITIES_DESC, countsSummary, imageLabel, packageLine, type FindingsAlert } from './alert';

/** A Slack incoming-webhook payload (Block Kit). Typed loosely on purpose: Slack owns the schema. */
export interface SlackPayload {
  /** Notification fallback text (also what screen readers and push notifications show). */
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const HEADER_MAX = 150; // Slack: header text is at most 150 characters
const SECTION_MAX = 3000; // Slack: section text is at most 3000 characters
const ID_LIST_MAX = 15;

const SEVERITY_EMOJI: Record<string, string> = {
  CRITICAL: ':red_circle:',
  HIGH: ':large_orange_circle:',
  MEDIUM: ':large_yellow_circle:',
  LOW: ':large_blue_circle:',
  INFORMATIONAL: ':white_circle:',
  UNDEFINED: ':white_circle:',
};

/** Escapes the three characters Slack mrkdwn treats as control characters. */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function idList(ids: readonly string[]): string {
  const shown = ids
    .slice(0, ID_LIST_MAX)
    .map((id) => `\`${esc(id)}\``)
    .join(', ');
  return ids.length > ID_LIST_MAX ? `${shown} +${ids.length - ID_LIST_MAX} more` : shown;
}

/** Builds the Block Kit message for one findings alert (pure). */
export function buildSlackBlocks(alert: FindingsAlert): SlackPayload {
  const verdict = alert.verdict.result === 'fail' ? 'FAIL' : 'PASS';
  const icon = alert.verdict.result === 'fail' ? ':rotating_light:' : ':white_check_mark:';
  const label = imageLabel(alert);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${verdict}: ${label}`, HEADER_MAX), emoji: true },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`${icon} *${esc(alert.verdict.reason)}*`, SECTION_MAX) },
    },
    {
      type: 'section',
      fields: SEVERITIES_DESC.map((s) => ({
        type: 'mrkdwn',
        text: `${SEVERITY_EMOJI[s]} *${s}*\n${alert.severityCounts[s]}`,
      })),
    },
  ];

  if (alert.quarantinedTags.length > 0) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(
          `:no_entry: *Quarantined*: release tags removed (${alert.quarantinedTags.map((t) => `\`${esc(t)}\``).join(', ')}). ` +
            'The image is kept and can still be pulled by digest.',
          SECTION_MAX,
        ),
      },
    });
  }

  if (alert.topFindings.length > 0) {
    const lines = alert.topFindings.map((f) => {
      const id = f.url ? `<${f.url}|${esc(f.id)}>` : `*${esc(f.id)}*`;
      const pkg = esc(packageLine(f)).replace(' -&gt; ', ' → ');
      return `${SEVERITY_EMOJI[f.severity]} ${id} (${f.severity})${pkg ? ` — \`${pkg}\`` : ''}`;
    });
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: clip(`*Top findings* (installed → fixed)\n${lines.join('\n')}`, SECTION_MAX),
      },
    });
  }

  const changes = alert.firstScan
    ? ['First scan result recorded for this image.']
    : [
        `*New* (${alert.newFindings.length}): ${alert.newFindings.length > 0 ? idList(alert.newFindings) : 'none'}`,
        `*Fixed* (${alert.fixedFindings.length}): ${alert.fixedFindings.length > 0 ? idList(alert.fixedFindings) : 'none'}`,
      ];
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(changes.join('\n'), SECTION_MAX) } });

  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'View findings in the ECR console' },
        url: alert.consoleUrl,
        ...(alert.verdict.result === 'fail' ? { style: 'danger' } : {}),
      },
    ],
  });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: clip(
          `team *${esc(alert.team)}* · \`${esc(alert.digest)}\` · ${esc(alert.account)} ${esc(alert.region)} · ${alert.scanner} scan`,
          SECTION_MAX,
        ),
      },
    ],
  });

  return { text: `${verdict} ${label}: ${countsSummary(alert.severityCounts)}`, blocks };
}
