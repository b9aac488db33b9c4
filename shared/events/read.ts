import { describeValue, EventParseError, formatEventPath } from './errors';

/**
 * Typed readers for raw event fields. Each takes the value and its path in the event and returns the
 * value typed, or throws EventParseError naming the path and what was expected. The function bundles
 * parse events with these instead of a schema library: no library code to ship and no schemas to build
 * at module load (DESIGN.md, performance budgets).
 *
 * Fields are read in a fixed order and the first bad one throws, so a message always names the first
 * problem in field order (the order the detail readers list their fields).
 */

/** Where a field sits in the event, e.g. ['detail', 'resources', 0, 'type']. */
export type FieldPath = readonly (string | number)[];

/** A loosely read JSON object: unknown extra keys are allowed (AWS adds fields over time). */
export type RawObject = Readonly<Record<string, unknown>>;

/** A value of the wrong type: `..., but it is missing` when absent, otherwise `..., got <value>`. */
export function typeError(path: FieldPath, expected: string, value: unknown): EventParseError {
  return value === undefined
    ? new EventParseError(formatEventPath(path), `${expected}, but it is missing`)
    : new EventParseError(formatEventPath(path), expected, { got: describeValue(value) });
}

/** A value of the right type that is not acceptable (bad format, out of range, unknown name). */
export function valueError(path: FieldPath, expected: string, value: unknown): EventParseError {
  return new EventParseError(formatEventPath(path), expected, { got: describeValue(value) });
}

/** The generic expectation for a nested object AWS always sends, e.g. `expected object, received string`. */
function objectExpected(value: unknown): string {
  return `expected object, received ${receivedType(value)}`;
}

function receivedType(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: unknown }).constructor;
    if (Object.getPrototypeOf(value) !== Object.prototype && typeof ctor === 'function' && ctor.name)
      return ctor.name;
  }
  return typeof value;
}

export function readString(value: unknown, path: FieldPath, expected: string): string {
  if (typeof value !== 'string') throw typeError(path, expected, value);
  return value;
}

/** A string that must match `pattern`; `invalid` is the message for a string that does not. */
export function readMatching(
  value: unknown,
  path: FieldPath,
  pattern: RegExp,
  expected: string,
  invalid: string = expected,
): string {
  const text = readString(value, path, expected);
  if (!pattern.test(text)) throw valueError(path, invalid, text);
  return text;
}

/** A string that must be one of `values`; a missing one is reported like any other bad value. */
export function readOneOf<T extends string>(
  value: unknown,
  path: FieldPath,
  values: readonly T[],
  expected: string,
): T {
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value))
    throw valueError(path, expected, value);
  return value as T;
}

/** undefined when the field is absent, else `read(value)`. */
export function readOptional<T>(value: unknown, read: (value: unknown) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

/** An object (not null, not an array); `expected` defaults to the generic `expected object, received ...`. */
export function readObject(value: unknown, path: FieldPath, expected?: string): RawObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw typeError(path, expected ?? objectExpected(value), value);
  return value as RawObject;
}

/** A plain object used as a map (JSON object or Object.create(null)), as `{ KEY: value }` records are read. */
export function readPlainObject(value: unknown, path: FieldPath, expected: string): RawObject {
  if (!isPlainObject(value)) throw typeError(path, expected, value);
  return value;
}

function isPlainObject(value: unknown): value is RawObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (ctor === undefined || typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return (
    typeof proto === 'object' &&
    proto !== null &&
    !Array.isArray(proto) &&
    Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf')
  );
}

export interface ArrayLimits {
  readonly min?: readonly [count: number, expected: string];
  readonly max?: readonly [count: number, expected: string];
}

/**
 * An array whose every item is read with `readItem` (first bad item throws, with its index in the path).
 * Too many items is reported before any item is read (a huge array is refused without walking it); too
 * few after the items.
 */
export function readArray<T>(
  value: unknown,
  path: FieldPath,
  expected: string,
  readItem: (item: unknown, path: FieldPath) => T,
  limits: ArrayLimits = {},
): T[] {
  if (!Array.isArray(value)) throw typeError(path, expected, value);
  if (limits.max && value.length > limits.max[0]) throw valueError(path, limits.max[1], value);
  const items: T[] = [];
  for (let i = 0; i < value.length; i += 1) items.push(readItem(value[i], [...path, i]));
  if (limits.min && value.length < limits.min[0]) throw valueError(path, limits.min[1], value);
  return items;
}
