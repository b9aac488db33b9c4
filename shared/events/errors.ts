import { HarbormasterError } from '../domain/errors';

/** Short rendering of an offending value for an error line; never dumps large objects or long strings. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Renders a field path as written in the event: detail.resources[0].details.awsEcrContainerImage.imageHash */
export function formatEventPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(event)';
}

/**
 * An event that cannot be processed: not JSON, not an EventBridge envelope, or a field that is missing
 * or invalid. The message is one line that names the field path and what was expected, e.g.
 * `detail.image-digest: expected a sha256 digest, got 42`. Handlers report such a record as a batch
 * item failure (it goes to the dead-letter queue); the CLI exits 2.
 */
export class EventParseError extends HarbormasterError {
  /** The field path, e.g. `detail.image-digest`; `(event)` for the whole input. */
  readonly path: string;
  constructor(path: string, expected: string, options?: { cause?: unknown; got?: string }) {
    super(`${path}: ${expected}${options?.got !== undefined ? `, got ${options.got}` : ''}`, options);
    this.name = 'EventParseError';
    this.path = path;
  }
}

/**
 * An event of a type Harbormaster handles arrived at a function that does not handle it: the
 * EventBridge rule routing it is wrong. The record fails (and dead-letters) instead of being dropped.
 */
export class EventRoutingError extends HarbormasterError {
  /** `what`: the event, e.g. `an ECR Image Scan event`. */
  constructor(what: string, options?: { cause?: unknown }) {
    super(`${what} does not belong on this function's queue (check the EventBridge rule)`, options);
    this.name = 'EventRoutingError';
  }
}
