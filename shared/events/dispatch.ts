import type { Ignored, NormalizedEvent } from '../domain/types';
import { describeValue, EventParseError, EventRoutingError } from './errors';
import { MAX_TAGS, readAccountId, readIsoTime, readRegion } from './field-readers';
import {
  readArray,
  readPlainObject,
  readString,
  valueError,
  type FieldPath,
  type RawObject,
  type Reader,
} from './read';

/**
 * The EventBridge envelope and the dispatch to one parser per detail type. A function passes only the
 * detail parsers it needs (./image-events.ts or ./scan-events.ts), so its bundle holds only those; the
 * CLI and tests use all of them (./parse.ts).
 */

/** EventBridge caps an event at 256 KB; anything far larger is not an event. */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** The EventBridge envelope (as delivered to a rule target, and as the SQS message body). */
export interface Envelope {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  readonly time: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: RawObject;
  /** The envelope's resource ARNs. */
  readonly resources: readonly string[];
}

const TOP: FieldPath = [];
/** Where every detail field sits. */
export const DETAIL: FieldPath = ['detail'];

function readEnvelope(raw: RawObject): Envelope {
  readString(raw, 'version', TOP, 'expected the EventBridge envelope version as a string');
  const id = readString(raw, 'id', TOP, 'expected the event id as a string');
  if (id === '') throw valueError(['id'], 'expected a non-empty event id', id);
  const detailType = readString(raw, 'detail-type', TOP, 'expected the event detail-type as a string');
  const source = readString(raw, 'source', TOP, 'expected the event source as a string');
  const account = readAccountId(raw, 'account', TOP);
  const time = readIsoTime(raw, 'time', TOP);
  const region = readRegion(raw, 'region', TOP);
  const resources =
    raw.resources === undefined
      ? []
      : readArray(raw, 'resources', TOP, 'expected an array of resource ARNs', readResourceArn, {
          max: [MAX_TAGS, `expected at most ${MAX_TAGS} resources`],
        });
  const detail = readPlainObject(raw, 'detail', TOP, 'expected the event detail object');
  return { id, account, region, time, source, detailType, detail, resources };
}

const readResourceArn: Reader<string> = (obj, key, at) =>
  readString(obj, key, at, 'expected a resource ARN string');

/** The fields every normalized event copies from the envelope. */
export function eventBase(envelope: Envelope) {
  return {
    id: envelope.id,
    account: envelope.account,
    region: envelope.region,
    time: envelope.time,
    ...(envelope.resources.length > 0 ? { resourceAccounts: accountsOf(envelope.resources) } : {}),
  };
}

/** The distinct account ids inside ARNs (`arn:partition:service:region:account:...`), sorted. */
function accountsOf(arns: readonly string[]): string[] {
  const accounts = new Set<string>();
  for (const arn of arns) {
    const account = arn.split(':')[4];
    if (account && /^\d{12}$/.test(account)) accounts.add(account);
  }
  return [...accounts].sort();
}

/** Parses the detail of one `source/detail-type`; `{ ignored }` for events deliberately not acted on. */
export type DetailParser = (envelope: Envelope) => NormalizedEvent | Ignored;
/** Detail parsers by `source/detail-type`, e.g. `aws.ecr/ECR Image Action`. */
export type DetailParsers = Readonly<Record<string, DetailParser>>;

/** The `source/detail-type` of each event Harbormaster's EventBridge rules route to one of its functions. */
export const EVENT_TYPE = {
  ecrImageAction: 'aws.ecr/ECR Image Action',
  ecrImageScan: 'aws.ecr/ECR Image Scan',
  ecrReplication: 'aws.ecr/ECR Replication Action',
  inspectorScan: 'aws.inspector2/Inspector2 Scan',
  inspectorFinding: 'aws.inspector2/Inspector2 Finding',
} as const;
const ROUTED: readonly string[] = Object.values(EVENT_TYPE);

/**
 * Parses one EventBridge event with `parsers`. An event of a type Harbormaster routes to another
 * function throws EventRoutingError (its EventBridge rule is wrong); any other unknown type is ignored.
 */
export function parseEventWith(parsers: DetailParsers, raw: unknown): NormalizedEvent | Ignored {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EventParseError('(event)', 'expected an EventBridge event object', { got: describeValue(raw) });
  }
  const envelope = readEnvelope(raw as RawObject);
  const type = `${envelope.source}/${envelope.detailType}`;
  if (Object.prototype.hasOwnProperty.call(parsers, type)) return parsers[type](envelope);
  if (ROUTED.includes(type)) {
    throw new EventRoutingError(`an ${envelope.detailType} event`);
  }
  return { ignored: `${envelope.detailType} events from ${envelope.source} are not handled by Harbormaster` };
}

/** Parses JSON text holding one EventBridge event with `parsers`; truncated or non-JSON text is an EventParseError. */
export function parseEventJsonWith(parsers: DetailParsers, text: string): NormalizedEvent | Ignored {
  if (typeof text !== 'string')
    throw new EventParseError('(event)', 'expected JSON text', { got: describeValue(text) });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_EVENT_BYTES) {
    throw new EventParseError(
      '(event)',
      `expected at most ${MAX_EVENT_BYTES} bytes of JSON (EventBridge events are at most 256 KB)`,
      { got: `${bytes} bytes` },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const why = (cause as Error).message.split('\n')[0];
    throw new EventParseError(
      '(event)',
      `expected JSON text (${text.trim() === '' ? 'the input is empty' : why})`,
      { cause },
    );
  }
  return parseEventWith(parsers, value);
}
