import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import type { AwsClients } from './aws';
import { matchesPattern } from './event-pattern';
import type { Provisioned } from './provision';

/** An event as a service emits it (AWS's published samples, a replay file line). */
export interface BusEvent {
  readonly version?: string;
  readonly id?: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account?: string;
  readonly time?: string;
  readonly region?: string;
  readonly resources?: readonly string[];
  readonly detail: unknown;
}

export interface Delivery {
  /** `stack/logicalId` of the rule. */
  readonly rule: string;
  readonly queueUrl: string;
  readonly event: Record<string, unknown>;
}

/**
 * The default bus of each region. An event goes to the bus of its own region (ECR Replication Action is
 * emitted in the destination region, so it first meets the rules deployed there, which forward it home); the bus stamps the
 * account as EventBridge does, and every ENABLED rule whose synthesized pattern matches sends the event,
 * unchanged, to its SQS targets. Matching and delivery are the sandbox's: see event-pattern.ts for why
 * moto's PutEvents is not used.
 */
export class EventBus {
  readonly deliveries: Delivery[] = [];
  constructor(
    private readonly clients: AwsClients,
    private readonly resources: Provisioned,
    private readonly defaultRegion: string,
  ) {}

  /** The envelope the bus delivers. An event without an id gets one, as PutEvents gives it. */
  envelope(event: BusEvent): Record<string, unknown> {
    if (
      typeof event['detail-type'] !== 'string' ||
      typeof event.source !== 'string' ||
      event.detail === undefined
    ) {
      throw new Error('an event needs "source", "detail-type" and "detail"');
    }
    return {
      version: event.version ?? '0',
      id: event.id ?? randomUUID(),
      'detail-type': event['detail-type'],
      source: event.source,
      account: this.resources.account,
      time: event.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: event.region ?? this.defaultRegion,
      resources: event.resources ?? [],
      detail: event.detail,
    };
  }

  /** The rules (`stack/logicalId`) the event matches, without delivering it. */
  route(event: BusEvent): string[] {
    const envelope = this.envelope(event);
    return this.resources.rules
      .filter((rule) => rule.region === envelope.region && matchesPattern(rule.pattern, envelope))
      .map((rule) => rule.key);
  }

  /**
   * Puts one event on its region's bus; returns the deliveries made. A rule whose target is another region's
   * default bus forwards the event there unchanged (EventBridge keeps `region`), where that region's rules
   * match it in turn.
   */
  async put(event: BusEvent): Promise<Delivery[]> {
    const envelope = this.envelope(event);
    const made = await this.deliver(envelope, String(envelope.region), 0);
    this.deliveries.push(...made);
    return made;
  }

  private async deliver(
    envelope: Record<string, unknown>,
    busRegion: string,
    hops: number,
  ): Promise<Delivery[]> {
    // EventBridge stops an event after a few bus-to-bus hops; one forward is all Harbormaster uses.
    if (hops > 2) throw new Error(`event ${String(envelope.id)} forwarded more than twice: a rule loop`);
    const made: Delivery[] = [];
    for (const rule of this.resources.rules) {
      if (rule.region !== busRegion || !matchesPattern(rule.pattern, envelope)) continue;
      for (const target of rule.targets) {
        const queue = this.resources.queueByArn(target.queueArn);
        await this.clients
          .sqs(queue.region)
          .send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(envelope) }));
        made.push({ rule: rule.key, queueUrl: queue.url, event: envelope });
      }
      for (const forward of rule.forwards)
        made.push(...(await this.deliver(envelope, forward.busRegion, hops + 1)));
    }
    return made;
  }
}
