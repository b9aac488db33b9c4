import type * as z from 'zod';

/** The parts of zod 4's internal definition this walk reads. */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value may have to match once wrappers (optional, default, pipe, union...) are peeled off. */
function concrete(schema: z.ZodType, depth = 0): z.ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  if (def.innerType) return concrete(def.innerType, depth + 1);
  if (def.type === 'pipe' && def.in) return concrete(def.in, depth + 1);
  if (def.type === 'lazy' && def.getter) return concrete(def.getter(), depth + 1);
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => concrete(o, depth + 1));
  return [schema];
}

function child(schema: z.ZodType, segment: string | number): z.ZodType[] {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape && typeof segment === 'string') {
    const next = def.shape[segment];
    return next ? [next] : [];
  }
  if (def.type === 'array' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  return [];
}

/**
 * The keys an object at `path` may hold under `schema` (for a union, such as an auto-tag rule or a
 * replication destination, the keys of every option), in schema order.
 */
export function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  let current = concrete(schema);
  for (const segment of path) current = current.flatMap((s) => child(s, segment)).flatMap((s) => concrete(s));
  const keys = new Set<string>();
  for (const s of current) {
    const def = defOf(s);
    if (def.type === 'object' && def.shape) for (const key of Object.keys(def.shape)) keys.add(key);
  }
  return [...keys];
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [
    i,
    ...Array<number>(t.length).fill(0),
  ]);
  for (let j = 1; j <= t.length; j++) d[0][j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[s.length][t.length];
}

/**
 * The known key closest to `key`, when it is close enough to be a typo: at most a third of the longer
 * word's letters differ (tagMutabilty -> tagMutability, maxseverity -> maxSeverity), else undefined.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.max(1, Math.floor(Math.max(key.length, best.length) / 3));
  return bestDistance <= allowed ? best : undefined;
}
