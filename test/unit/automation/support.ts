import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { toAttributeMap } from '../../../shared/audit/attribute-values';
import type { AutomationLog } from '../../../shared/automation/execute-plan';
import { parseConfigText } from '../../../shared/config/load';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import type { NormalizedEvent } from '../../../shared/domain/types';
import { isIgnored } from '../../../shared/domain/types';
import { parseEvent } from '../../../shared/events';

export const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'events');
/** A clock inside every allowlist entry's validity. */
export const NOW = new Date('2026-11-20T10:00:00.000Z');

export function testConfig(): HarbormasterConfig {
  return parseConfigText(
    readFileSync(path.join(FIXTURES, 'simulate-config.yaml'), 'utf8'),
    'simulate-config.yaml',
  );
}

/** An EventBridge event as delivered, loose enough for tests to break one field. */
export interface RawEvent {
  detail: Record<string, unknown>;
  [key: string]: unknown;
}

/** A fixture as raw JSON (an EventBridge event as delivered), optionally changed. */
export function rawEvent(name: string, change?: (event: RawEvent) => void): RawEvent {
  const event = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
  change?.(event);
  return event;
}

export function normalized<E extends NormalizedEvent>(name: string, change?: (event: RawEvent) => void): E {
  const parsed = parseEvent(rawEvent(name, change));
  if (isIgnored(parsed)) throw new Error(`fixture ${name} is ignored: ${parsed.ignored}`);
  return parsed as E;
}

export interface RecordedLog extends AutomationLog {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[];
}

export function recordingLog(): RecordedLog {
  const lines: RecordedLog['lines'] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    lines.push({ level, message, ...(extra ? { extra } : {}) });
  };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** An audit item as DynamoDB returns it: one event row with an alert (notified) follow-up. */
export function notifiedItem(input: {
  repository: string;
  digest: string;
  eventId: string;
  time: string;
  findingIds: string[];
  findingSetHash: string;
}): Record<string, AttributeValue> {
  return {
    pk: { S: `IMAGE#${input.repository}@${input.digest}` },
    sk: { S: `${input.time}#scanned#${input.eventId}` },
    repository: { S: input.repository },
    digest: { S: input.digest },
    action: { S: 'scanned' },
    actions: { L: [{ S: 'scanned' }, { S: 'verdict' }, { S: 'notified' }] },
    time: { S: input.time },
    eventId: { S: input.eventId },
    followUps: {
      L: [
        { M: toAttributeMap({ action: 'verdict', detail: { result: 'fail', reason: 'earlier' } }) },
        {
          M: toAttributeMap({
            action: 'notified',
            detail: { findingIds: input.findingIds, findingSetHash: input.findingSetHash },
          }),
        },
      ],
    },
  };
}

export function conditionalCheckFailed(): Error {
  return Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
  });
}
