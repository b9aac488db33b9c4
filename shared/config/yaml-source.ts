import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  parseDocument,
  visit,
  type CST,
  type Document,
} from 'yaml';
import { ConfigError, type SourcePosition } from './errors';

/** Far beyond any real config (about 8 levels deep), far below what exhausts the call stack. */
export const MAX_NESTING_DEPTH = 64;
/** Alias expansions allowed when building the data: stops a "billion laughs" alias bomb. */
export const MAX_ALIAS_COUNT = 100;

/** A parsed YAML config: its data, and where each field path sits in the text. */
export interface YamlSource {
  readonly data: unknown;
  /** Position of the value at `path` (of its key with `atKey`), or of the deepest parent that exists. */
  locate(path: ReadonlyArray<string | number>, atKey?: boolean): SourcePosition | undefined;
}

type Range = readonly [number, number, number];

/** The first collection nested deeper than the limit, found on the CST with an explicit stack (no recursion). */
function tooDeepOffset(tokens: readonly CST.Token[]): number | undefined {
  const stack: Array<[CST.Token | undefined, number]> = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (!token) continue;
    if (token.type === 'document') {
      stack.push([token.value, depth]);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING_DEPTH) return token.offset;
      for (const item of token.items) {
        const entry = item as { key?: CST.Token | null; value?: CST.Token };
        if (entry.key) stack.push([entry.key, depth + 1]);
        stack.push([entry.value, depth + 1]);
      }
    }
  }
  return undefined;
}

function fail(source: string, message: string, position?: SourcePosition, cause?: unknown): never {
  throw new ConfigError(source, [{ path: [], message, ...(position ? { position } : {}) }], { cause });
}

/**
 * Parses config text (JSON is YAML too). Every failure is a ConfigError of one line with its position:
 * the first syntax error only (one bad indent makes many), nesting deeper than MAX_NESTING_DEPTH (checked
 * before anything recursive runs), and alias bombs (yaml's maxAliasCount).
 */
export function readYaml(text: string, source: string): YamlSource {
  const lines = new LineCounter();
  const at = (offset: number): SourcePosition => lines.linePos(offset);
  const tokens = [...new Parser(lines.addNewLine).parse(text)];
  const deep = tooDeepOffset(tokens);
  if (deep !== undefined) {
    fail(source, `expected at most ${MAX_NESTING_DEPTH} levels of nesting, got more`, at(deep));
  }

  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) fail(source, `expected valid YAML: ${first.message.split('\n')[0]}`, at(first.pos[0]));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    let alias: number | undefined;
    visit(doc, {
      Alias(_, node) {
        alias = node.range?.[0];
        return visit.BREAK;
      },
    });
    fail(
      source,
      `expected YAML aliases to expand at most ${MAX_ALIAS_COUNT} times, got more (an alias bomb?)`,
      alias === undefined ? undefined : at(alias),
      cause,
    );
  }
  return { data, locate: (path, atKey = false) => locateIn(doc, path, atKey, at) };
}

function locateIn(
  doc: Document,
  path: ReadonlyArray<string | number>,
  atKey: boolean,
  at: (offset: number) => SourcePosition,
): SourcePosition | undefined {
  let node: unknown = doc.contents;
  let range = (node as { range?: Range } | null)?.range;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(segment));
      if (!pair) break;
      const keyRange = (pair.key as { range?: Range } | null)?.range;
      const valueRange = (pair.value as { range?: Range } | null)?.range;
      if ((i === path.length - 1 && atKey) || !valueRange) {
        range = keyRange ?? range;
        if (!valueRange) break;
      }
      if (i === path.length - 1 && atKey) break;
      node = pair.value;
      range = valueRange;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      node = node.items[segment];
      range = (node as { range?: Range }).range ?? range;
    } else {
      break;
    }
  }
  return range ? at(range[0]) : undefined;
}
