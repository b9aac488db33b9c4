import { ALERT_ATTRIBUTE, type FindingsAlert } from './alert';
import { buildSlackBlocks, type SlackPayload } from './slack-blocks';

/** The parts of an SNS notification (as Lambda receives it) the notifier reads. */
export interface SnsNotification {
  readonly MessageId: string;
  readonly Subject?: string | null;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { readonly Type: string; readonly Value: string }>;
}

/** An alert attribute that is not a findings alert this version understands. */
export class AlertFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertFormatError';
  }
}

function parseAlert(value: string): FindingsAlert {
  let alert: Partial<FindingsAlert>;
  try {
    alert = JSON.parse(value) as Partial<FindingsAlert>;
  } catch (cause) {
    throw new AlertFormatError(`message attribute ${ALERT_ATTRIBUTE}: expected JSON`, { cause });
  }
  if (alert?.version !== 1)
    throw new AlertFormatError(
      `message attribute ${ALERT_ATTRIBUTE}.version: expected 1, got ${JSON.stringify(alert?.version)}`,
    );
  for (const field of ['repository', 'digest', 'consoleUrl', 'eventId'] as const) {
    if (typeof alert[field] !== 'string')
      throw new AlertFormatError(`message attribute ${ALERT_ATTRIBUTE}.${field}: expected a string`);
  }
  for (const field of ['tags', 'topFindings', 'newFindings', 'fixedFindings', 'quarantinedTags'] as const) {
    if (!Array.isArray(alert[field]))
      throw new AlertFormatError(`message attribute ${ALERT_ATTRIBUTE}.${field}: expected an array`);
  }
  if (typeof alert.verdict?.reason !== 'string' || typeof alert.severityCounts !== 'object') {
    throw new AlertFormatError(`message attribute ${ALERT_ATTRIBUTE}: expected verdict and severityCounts`);
  }
  return alert as FindingsAlert;
}

/**
 * The Slack message for one topic notification: Block Kit from the findings alert when the message carries
 * one, else (other Harbormaster alerts, e.g. a failed replication) the subject and text as they are.
 */
export function slackPayloadFromSns(notification: SnsNotification): SlackPayload {
  const attribute = notification.MessageAttributes?.[ALERT_ATTRIBUTE];
  if (attribute) return buildSlackBlocks(parseAlert(attribute.Value));
  const subject = (notification.Subject ?? 'Harbormaster alert').slice(0, 150);
  const text =
    notification.Message.length > 2900 ? `${notification.Message.slice(0, 2900)}\n…` : notification.Message;
  return {
    text: subject,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: subject, emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${text.replace(/```/g, "'''")}\`\`\`` } },
    ],
  };
}
