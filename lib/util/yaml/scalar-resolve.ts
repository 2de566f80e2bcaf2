/**
 * Scalar resolution of Go's YAML libraries (go.yaml.in/yaml v2.4 and v3.0, identical but for booleans):
 * what a plain scalar such as `0755`, `yes`, `1e3` or `2001-12-14` means, and what an explicit tag
 * (`!!int "0755"`, `!!str 0755`) does. Verified against Kluctl v2.28.2 by test/unit/yaml-scalars.test.ts
 * and test/parity/yaml-scalars.test.ts.
 */
import { YAML_STYLE_FLOAT, parseGoDecimalFloat, parseGoInt } from './go-numbers.js';
import { isGoYamlTimestamp } from './go-time.js';

/**
 * Which words are booleans: `yaml11` is yaml.v2 (sigs.k8s.io/yaml, Kluctl's and kubectl's reader:
 * y/yes/on/true and n/no/off/false in three spellings each), `core` is yaml.v3 (kustomize's kyaml:
 * true/false only).
 */
export type BoolWords = 'yaml11' | 'core';

/** The resolved meaning of a scalar. Integers keep their exact value as bigint. */
export type Resolved =
  | { readonly tag: 'null'; readonly value: null }
  | { readonly tag: 'bool'; readonly value: boolean }
  | { readonly tag: 'int'; readonly value: bigint }
  | { readonly tag: 'float'; readonly value: number }
  /** A timestamp keeps its text; the reader decides whether it stays a string (yaml.v2) or not. */
  | { readonly tag: 'timestamp'; readonly value: string }
  | { readonly tag: 'str'; readonly value: string }
  /** `!!binary` already decoded. */
  | { readonly tag: 'binary'; readonly value: string }
  /** A tag Go does not resolve (`!foo`, `!!set` on a scalar): the text as a string. */
  | { readonly tag: 'other'; readonly value: string }
  | { readonly tag: 'merge'; readonly value: string };

const BOOLS_11: Record<string, boolean> = {};
for (const w of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']) BOOLS_11[w] = true;
for (const w of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  BOOLS_11[w] = false;
const BOOLS_CORE: Record<string, boolean> = {
  true: true,
  True: true,
  TRUE: true,
  false: false,
  False: false,
  FALSE: false,
};
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: Record<string, number> = {};
for (const [words, v] of [
  [['.nan', '.NaN', '.NAN'], NaN],
  [['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'], Infinity],
  [['-.inf', '-.Inf', '-.INF'], -Infinity],
] as const)
  for (const w of words) SPECIAL_FLOATS[w] = v;

/** The long form of a YAML core tag. */
const TAG = {
  str: 'tag:yaml.org,2002:str',
  int: 'tag:yaml.org,2002:int',
  float: 'tag:yaml.org,2002:float',
  bool: 'tag:yaml.org,2002:bool',
  null: 'tag:yaml.org,2002:null',
  timestamp: 'tag:yaml.org,2002:timestamp',
  binary: 'tag:yaml.org,2002:binary',
  merge: 'tag:yaml.org,2002:merge',
} as const;

const RESOLVABLE = new Set<string>([TAG.str, TAG.int, TAG.float, TAG.bool, TAG.null, TAG.timestamp]);

/** Go's resolver table: which first characters may start something that is not a string. */
function hint(s: string): 'S' | 'D' | 'M' | '.' | undefined {
  if (s === '') return 'M';
  const c = s[0]!;
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  return c === '.' ? '.' : undefined;
}

function number(s: string, timestamps: boolean): Resolved | undefined {
  if (timestamps && isGoYamlTimestamp(s)) return { tag: 'timestamp', value: s };
  const plain = s.replaceAll('_', '');
  const i = parseGoInt(plain);
  if (i) return { tag: 'int', value: i.value };
  if (YAML_STYLE_FLOAT.test(plain)) {
    const f = parseGoDecimalFloat(plain);
    if (f !== undefined) return { tag: 'float', value: f };
  }
  return undefined;
}

/** Resolves `s` as Go does for an untagged plain scalar, or with `tag` when `timestamps` is false. */
function resolveText(s: string, bools: BoolWords, timestamps: boolean): Resolved {
  const h = hint(s);
  if (h === undefined) return { tag: 'str', value: s };
  const b = (bools === 'yaml11' ? BOOLS_11 : BOOLS_CORE)[s];
  if (b !== undefined) return { tag: 'bool', value: b };
  if (NULLS.has(s)) return { tag: 'null', value: null };
  const sf = SPECIAL_FLOATS[s];
  if (sf !== undefined) return { tag: 'float', value: sf };
  if (s === '<<') return { tag: 'merge', value: s };
  if (h === '.') {
    // ParseFloat of text starting with a dot: only `.digits[exponent]` parses.
    const f = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) ? parseGoDecimalFloat(s) : undefined;
    return f === undefined ? { tag: 'str', value: s } : { tag: 'float', value: f };
  }
  if (h === 'M') return { tag: 'str', value: s };
  return number(s, timestamps) ?? { tag: 'str', value: s };
}

/** What an untagged plain scalar means. */
export function resolvePlain(s: string, bools: BoolWords): Resolved {
  return resolveText(s, bools, true);
}

/** Thrown when an explicit tag does not fit the value (Go: "cannot decode !!str `abc` as a !!int"). */
export class TagMismatchError extends Error {}

const SHORT = (tag: string): string => tag.replace('tag:yaml.org,2002:', '!!');

function decodeBase64(s: string): string {
  // Go's StdEncoding ignores line breaks and needs correct padding.
  const clean = s.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean))
    throw new TagMismatchError('!!binary value contains invalid base64 data');
  return Buffer.from(clean, 'base64').toString('utf8');
}

/**
 * What a scalar with an explicit tag means (`tag` in long form, e.g. `tag:yaml.org,2002:int`). Throws
 * TagMismatchError where Go refuses the combination.
 */
export function resolveTagged(tag: string, s: string, bools: BoolWords): Resolved {
  if (tag === TAG.binary) return { tag: 'binary', value: decodeBase64(s) };
  if (tag === TAG.merge && s === '<<') return { tag: 'merge', value: s };
  if (!RESOLVABLE.has(tag)) return { tag: 'other', value: s };
  if (tag === TAG.str) return { tag: 'str', value: s };
  const r = resolveText(s, bools, tag === TAG.timestamp);
  const want = SHORT(tag).slice(2);
  if (r.tag === want) return r;
  // `!!float 1` is the float 1.
  if (want === 'float' && r.tag === 'int') return { tag: 'float', value: Number(r.value) };
  throw new TagMismatchError(`cannot decode !!${r.tag} \`${s}\` as a ${SHORT(tag)}`);
}
