import { describeValue, EventParseError, formatEventPath } from './errors';

/**
 * Typed readers for raw event fields. Each reads `obj[key]` (an object's field or an array's item) and
 * returns it typed, or throws EventParseError naming the field's path (`at` plus `key`) and what was
 * expected. The function bundles parse events with these instead of a schema library: no library code
 * to ship and no schemas to build at module load (DESIGN.md, performance budgets).
 *
 * Callers read fields in a fixed order and the first bad one throws, so a message always names the
 * first problem in that order.
 */

/** Where a field sits in the event, e.g. ['detail', 'resources', 0, 'type']. */
export type FieldPath = readonly (string | number)[];

/** A loosely read JSON object or array: unknown extra keys are allowed (AWS adds fields over time). */
export type RawObject = Readonly<Record<string | number, unknown>>;

/** A reader of one field; the shape every reader here has, so readers compose (e.g. array items). */
export type Reader<T> = (obj: RawObject, key: string | number, at: FieldPath) => T;

/** A value of the wrong type: `..., but it is missing` when absent, otherwise `..., got <value>`. */
export function typeError(path: FieldPath, expected: string, value: unknown): EventParseError {
  return value === undefined
    ? new EventParseError(formatEventPath(path), `${expected}, but it is missing`)
    : valueError(path, expected, value);
}

/** A value of the right type that is not acceptable (bad format, out of range, unknown name). */
export function valueError(path: FieldPath, expected: string, value: unknown): EventParseError {
  return new EventParseError(formatEventPath(path), expected, { got: describeValue(value) });
}

export function readString(obj: RawObject, key: string | number, at: FieldPath, expected: string): string {
  const value = obj[key];
  if (typeof value !== 'string') throw typeError([...at, key], expected, value);
  return value;
}

/** undefined when the field is absent, else what `readString` reads. */
export function readOptionalString(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
  expected: string,
): string | undefined {
  return obj[key] === undefined ? undefined : readString(obj, key, at, expected);
}

/** A string that must match `pattern`; `invalid` is the message for a string that does not. */
export function readMatching(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
  pattern: RegExp,
  expected: string,
  invalid: string = expected,
): string {
  const text = readString(obj, key, at, expected);
  if (!pattern.test(text)) throw valueError([...at, key], invalid, text);
  return text;
}

/** An object (not null, not an array); `expected` defaults to the generic `expected object, received ...`. */
export function readObject(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
  expected?: string,
): RawObject {
  const value = obj[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw typeError([...at, key], expected ?? `expected object, received ${receivedType(value)}`, value);
  return value as RawObject;
}

/** How a non-object value is named in that message (`null`, `array`, `string`, `NaN`...). */
function receivedType(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A plain object used as a map (a JSON object or Object.create(null)), as `{ KEY: value }` records are read. */
export function readPlainObject(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
  expected: string,
): RawObject {
  const value = obj[key];
  if (!isPlainObject(value)) throw typeError([...at, key], expected, value);
  return value;
}

function isPlainObject(value: unknown): value is RawObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function') return true;
  const proto: unknown = ctor.prototype;
  return (
    typeof proto === 'object' &&
    proto !== null &&
    Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf')
  );
}

/**
 * An array whose every item is read with `readItem` (the first bad item throws, with its index in the
 * path). More than `max` items is reported before any item is read (a huge array is refused without
 * walking it); fewer than `min` after the items.
 */
export function readArray<T>(
  obj: RawObject,
  key: string | number,
  at: FieldPath,
  expected: string,
  readItem: Reader<T>,
  limits: { readonly max?: readonly [number, string]; readonly min?: readonly [number, string] },
): T[] {
  const value = obj[key];
  const path = [...at, key];
  if (!Array.isArray(value)) throw typeError(path, expected, value);
  if (limits.max && value.length > limits.max[0]) throw valueError(path, limits.max[1], value);
  const items: T[] = [];
  for (let i = 0; i < value.length; i += 1) items.push(readItem(value as unknown as RawObject, i, path));
  if (limits.min && value.length < limits.min[0]) throw valueError(path, limits.min[1], value);
  return items;
}
