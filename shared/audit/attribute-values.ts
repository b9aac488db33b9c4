import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * A small JSON <-> DynamoDB AttributeValue codec for the audit rows' `detail` (@aws-sdk/util-dynamodb is not a
 * dependency: this covers the JSON subset the audit store writes, which is all it needs).
 */

export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value} in an audit row`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (typeof value === 'object') return { M: toAttributeMap(value as Record<string, unknown>) };
  throw new TypeError(`cannot store a ${typeof value} in an audit row`);
}

export function toAttributeMap(record: Record<string, unknown>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(record)) {
    // Like JSON.stringify: undefined members are dropped rather than stored as NULL.
    if (value !== undefined) out[key] = toAttributeValue(value);
  }
  return out;
}

export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromAttributeMap(value.M);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  throw new TypeError(`unsupported attribute value type ${Object.keys(value).join(',')}`);
}

export function fromAttributeMap(map: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) out[key] = fromAttributeValue(value);
  return out;
}
