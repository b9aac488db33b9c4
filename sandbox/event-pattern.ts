/**
 * EventBridge event-pattern matching, as documented in "Amazon EventBridge event patterns" (AWS docs): a
 * field's array of values matches when any value matches; a field holding an array (including an array of
 * objects) matches when any element matches; nested objects match field by field; `$or` matches when any
 * branch does. Content filters: prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard.
 *
 * Why the sandbox matches itself: moto's EventBridge flattens only objects, so a pattern reaching into an
 * array of objects (the `Inspector2 Finding` rule's `detail.resources[].details...`) never matches; and its
 * SQS delivery rewrites the event (a new `id`, no `account`, a `time` that is not quoted). Patterns are used
 * exactly as synthesized: nothing is relaxed to make moto's matcher agree.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const MISSING = Symbol('missing');

export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return matchObject(pattern, event as Json);
}

function matchObject(pattern: Record<string, unknown>, value: Json | typeof MISSING): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') return (sub as Record<string, unknown>[]).some((branch) => matchObject(branch, value));
    const field = fieldOf(value, key);
    if (Array.isArray(sub)) return matchLeaf(sub, field);
    if (sub !== null && typeof sub === 'object') {
      // A nested pattern over an array of objects matches when any element does.
      if (Array.isArray(field))
        return field.some((element) => matchObject(sub as Record<string, unknown>, element));
      return matchObject(sub as Record<string, unknown>, field);
    }
    throw new Error(`event pattern field ${key}: expected an array or an object, got ${JSON.stringify(sub)}`);
  });
}

function fieldOf(value: Json | typeof MISSING, key: string): Json | typeof MISSING {
  if (value === MISSING || value === null || typeof value !== 'object' || Array.isArray(value))
    return MISSING;
  return key in value ? value[key] : MISSING;
}

function matchLeaf(filters: unknown[], field: Json | typeof MISSING): boolean {
  const values: (Json | typeof MISSING)[] = Array.isArray(field) ? field : [field];
  return filters.some((filter) => {
    if (filter !== null && typeof filter === 'object' && 'exists' in filter) {
      const exists = field !== MISSING;
      return (filter as { exists: boolean }).exists === exists;
    }
    return values.some((value) => value !== MISSING && matchOne(filter, value));
  });
}

function matchOne(filter: unknown, value: Json): boolean {
  if (filter === null || typeof filter !== 'object') return filter === value;
  const [[name, arg]] = Object.entries(filter as Record<string, unknown>);
  const text = typeof value === 'string' ? value : undefined;
  switch (name) {
    case 'prefix':
      return text !== undefined && stringTest(arg, text, (t, p) => t.startsWith(p));
    case 'suffix':
      return text !== undefined && stringTest(arg, text, (t, s) => t.endsWith(s));
    case 'equals-ignore-case':
      return text !== undefined && text.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return text !== undefined && wildcard(String(arg)).test(text);
    case 'anything-but': {
      if (Array.isArray(arg)) return !arg.includes(value);
      if (arg !== null && typeof arg === 'object') return !matchOne(arg, value);
      return arg !== value;
    }
    case 'numeric': {
      if (typeof value !== 'number') return false;
      const ops = arg as (string | number)[];
      for (let i = 0; i < ops.length; i += 2) {
        const bound = Number(ops[i + 1]);
        const ok = {
          '<': value < bound,
          '<=': value <= bound,
          '=': value === bound,
          '>=': value >= bound,
          '>': value > bound,
        }[ops[i] as '<'];
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`event pattern filter ${name} is not supported by the sandbox matcher`);
  }
}

function stringTest(arg: unknown, text: string, test: (text: string, operand: string) => boolean): boolean {
  if (arg !== null && typeof arg === 'object' && 'equals-ignore-case' in arg) {
    return test(
      text.toLowerCase(),
      String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase(),
    );
  }
  return test(text, String(arg));
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}
