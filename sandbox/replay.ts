import { readFile } from 'node:fs/promises';
import type { AuditEntry } from '../shared/domain/types';
import type { BusEvent } from './event-bus';
import type { Sandbox } from './sandbox';

export interface ReplaySummary {
  readonly events: number;
  readonly drainSeconds: number;
  /** Every image the sandbox knows (in ECR, or with an audit timeline): its tags and audit rows (newest first). */
  readonly images: { repository: string; digest: string; tags: string[]; audit: AuditEntry[] }[];
  /** Per topic ARN, the messages published (Message, MessageAttributes). */
  readonly topics: Record<string, { message: unknown; attributes: unknown }[]>;
  /** Per dead-letter queue name, its messages (body parsed when JSON) and receive counts. */
  readonly deadLetterQueues: Record<string, { body: unknown; receiveCount: number }[]>;
}

/** Parses a JSONL file of EventBridge events; a bad line is reported with its number. */
export function parseEvents(text: string, file: string): BusEvent[] {
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('//'))
    .map(({ line, number }) => {
      let event: BusEvent;
      try {
        event = JSON.parse(line) as BusEvent;
      } catch (error) {
        throw new Error(`${file}:${number}: not JSON (${(error as Error).message})`);
      }
      if (
        typeof event?.source !== 'string' ||
        typeof event['detail-type'] !== 'string' ||
        event.detail === undefined
      ) {
        throw new Error(`${file}:${number}: an EventBridge event needs "source", "detail-type" and "detail"`);
      }
      return event;
    });
}

/** Puts each event of the file on its region's bus, waits until every queue is drained, and summarizes. */
export async function replay(
  sandbox: Sandbox,
  file: string,
  progress: (line: string) => void,
): Promise<ReplaySummary> {
  const events = parseEvents(await readFile(file, 'utf8'), file);
  const started = Date.now();
  for (const event of events) await sandbox.put(event);
  progress(`${events.length} event(s) on the bus; waiting for the queues to drain ...`);
  await sandbox.drain(10 * 60_000);
  const drainSeconds = Math.round((Date.now() - started) / 100) / 10;
  return summarize(sandbox, events.length, drainSeconds);
}

export async function summarize(
  sandbox: Sandbox,
  events: number,
  drainSeconds: number,
): Promise<ReplaySummary> {
  const known = new Map<string, { repository: string; digest: string; tags: string[] }>();
  for (const image of await sandbox.images()) {
    if (image.region !== sandbox.region) continue;
    known.set(`${image.repository}@${image.digest}`, {
      repository: image.repository,
      digest: image.digest,
      tags: image.tags,
    });
  }
  // Images the events named but ECR does not hold (deleted, or never pushed) still have timelines.
  const store = sandbox.auditStore();
  for (const repository of sandbox.config.repositories) {
    const page = await store.repositoryTimeline(repository.name, { limit: 1000 });
    for (const entry of page.entries) {
      const key = `${entry.repository}@${entry.digest}`;
      if (!known.has(key)) known.set(key, { repository: entry.repository, digest: entry.digest, tags: [] });
    }
  }
  const images = [];
  for (const image of known.values())
    images.push({ ...image, audit: await sandbox.timeline(image.repository, image.digest) });
  const topics: ReplaySummary['topics'] = {};
  for (const [arn, messages] of await sandbox.topicMessages()) {
    topics[arn] = messages.map((m) => {
      const n = m as { Message?: string; MessageAttributes?: unknown };
      let message: unknown = n.Message;
      try {
        message = JSON.parse(String(n.Message));
      } catch {
        // A plain-text message stays text.
      }
      return { message, attributes: n.MessageAttributes ?? {} };
    });
  }
  const deadLetterQueues: ReplaySummary['deadLetterQueues'] = {};
  for (const [name, messages] of await sandbox.deadLetterMessages()) {
    deadLetterQueues[name] = messages.map((m) => {
      let body: unknown = m.body;
      try {
        body = JSON.parse(m.body);
      } catch {
        // Not JSON: kept as sent.
      }
      return { body, receiveCount: m.receiveCount };
    });
  }
  return { events, drainSeconds, images, topics, deadLetterQueues };
}
