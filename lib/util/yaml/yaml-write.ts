/**
 * Writing YAML as Kluctl does (sigs.k8s.io/yaml `Marshal`: JSON first, then yaml.v2): keys sorted in
 * yaml.v2's natural order, numbers as JSON spells them and yaml.v2 re-reads them (integers up to 64 bits,
 * other numbers in Go's `%g`), and every string that a YAML 1.1 reader would take for something else
 * (`yes`, `0755`, `1:20`, `2001-12-14`, `null`...) double-quoted. The output reads back to the same
 * values in yaml.v2/sigs.k8s.io/yaml (kubectl, Helm), yaml.v3 (kustomize) and PyYAML, and is byte for
 * byte what Kluctl prints for the same objects.
 */
import { Emitter } from './emitter.js';
import { fitsGoInteger, goFormatFloat, goJsonNumber, parseGoInt } from './go-numbers.js';
import { pyYamlResolvesToNonString } from './py-yaml-read.js';
import { resolvePlain } from './scalar-resolve.js';

/** Options of {@link writeYaml}. */
export interface WriteYamlOptions {
  /**
   * Column after which long plain and quoted strings are folded onto the next line (a fold reads back
   * as the space it replaced). Default: 80, as Kluctl; `Infinity` never folds.
   */
  readonly lineWidth?: number;
}

/** yaml.v2 quotes strings that resolve to non-strings, and base-60 floats for old YAML 1.1 readers. */
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/**
 * Whether a YAML reader would read `s`, written plain, as something but this string: yaml.v2 (what
 * Kluctl quotes) or PyYAML. PyYAML alone resolves a few more (`=`, `<<`, `2001-12-14 21:59:43.10 -5`,
 * `._5`), which Kluctl leaves plain; we quote them too, so the output reads back in PyYAML.
 */
export function isAmbiguousPlainString(s: string): boolean {
  return resolvePlain(s, 'yaml11').tag !== 'str' || BASE60_FLOAT.test(s) || pyYamlResolvesToNonString(s);
}

/** yaml.v2's key order (sorter.go): letters after other characters, digit runs compared as numbers. */
export function compareYamlKeys(a: string, b: string): number {
  return yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0;
}

const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && /\p{Nd}/u.test(c);

function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]!);
    const bl = isLetter(br[i]!);
    if (al && bl) return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    // Go accumulates rune - '0' in an int64 (wrapping), whatever digit script the rune is from.
    for (; ai < ar.length && isDigit(ar[ai]); ai++)
      an = BigInt.asIntN(64, an * 10n + BigInt(ar[ai]!.codePointAt(0)! - 48));
    for (; bi < br.length && isDigit(br[bi]); bi++)
      bn = BigInt.asIntN(64, bn * 10n + BigInt(br[bi]!.codePointAt(0)! - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i]!.codePointAt(0)! < br[i]!.codePointAt(0)!;
  }
  return ar.length < br.length;
}

/** A number after its JSON round trip: the plain scalar yaml.v2 writes for it. */
function numberText(json: string): string {
  if (/^-?[0-9]+$/.test(json)) {
    const i = parseGoInt(json);
    if (i && fitsGoInteger(i.value)) return i.value.toString();
  }
  return goFormatFloat(Number(json), 64);
}

function scalarText(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberText(goJsonNumber(v));
  if (typeof v === 'bigint') return numberText(v.toString());
  return undefined;
}

function writeString(e: Emitter, s: string): void {
  if (s.includes('\n')) e.scalar(s, 'literal');
  else e.scalar(s, isAmbiguousPlainString(s) ? 'double' : 'plain');
}

interface Place {
  readonly root?: boolean;
  readonly sequence?: boolean;
  readonly mapping?: boolean;
  readonly simpleKey?: boolean;
}

/** A JSON-like view of a value: what Go's json.Marshal would see. */
function jsonView(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    return (v as { toJSON: () => unknown }).toJSON();
  return v;
}

function emitNode(e: Emitter, raw: unknown, place: Place): void {
  e.root = place.root ?? false;
  e.sequence = place.sequence ?? false;
  e.mapping = place.mapping ?? false;
  e.simpleKey = place.simpleKey ?? false;
  const v = jsonView(raw);
  if (typeof v === 'string') return writeString(e, v);
  const text = scalarText(v);
  if (text !== undefined) return e.scalar(text, 'plain');
  if (Array.isArray(v))
    return emitSequence(
      e,
      v.map((x) => (x === undefined ? null : x)),
    );
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return emitMapping(
      e,
      entries.sort(([a], [b]) => compareYamlKeys(a, b)),
    );
  }
  throw new TypeError(`cannot write a ${typeof v} as YAML`);
}

function emitEmpty(e: Emitter, open: string, close: string): void {
  e.writeIndicator(open, true, true, false);
  e.increaseIndent(true, false);
  e.popIndent();
  e.writeIndicator(close, false, false, false);
}

function emitSequence(e: Emitter, items: readonly unknown[]): void {
  if (items.length === 0 || e.flowLevel > 0) return emitEmpty(e, '[', ']');
  // Under a mapping key, sequences are not indented (`key:\n- item`).
  e.increaseIndent(false, e.mapping && !e.indentionState());
  for (const item of items) {
    e.writeIndent();
    e.writeIndicator('-', true, false, true);
    emitNode(e, item, { sequence: true });
  }
  e.popIndent();
}

function emitMapping(e: Emitter, entries: readonly [string, unknown][]): void {
  if (entries.length === 0 || e.flowLevel > 0) return emitEmpty(e, '{', '}');
  e.increaseIndent(false, false);
  for (const [k, v] of entries) {
    e.writeIndent();
    if (Emitter.isSimpleKey(k)) {
      emitNode(e, k, { mapping: true, simpleKey: true });
      e.writeIndicator(':', false, false, false);
    } else {
      // libyaml's complex key form for multi-line or very long keys.
      e.writeIndicator('?', true, false, true);
      emitNode(e, k, { mapping: true });
      e.writeIndent();
      e.writeIndicator(':', true, false, true);
    }
    emitNode(e, v, { mapping: true });
  }
  e.popIndent();
}

/** One document as Kluctl writes it (`yaml.WriteYamlString`); ends with a line break. */
export function writeYaml(value: unknown, opts: WriteYamlOptions = {}): string {
  const e = new Emitter(opts.lineWidth ?? 80);
  emitNode(e, value, { root: true });
  e.writeIndent();
  return e.text();
}

/** Several documents separated by `---` lines, as Kluctl's `WriteYamlAllString`. */
export function writeYamlAll(values: readonly unknown[], opts: WriteYamlOptions = {}): string {
  return values.map((v) => writeYaml(v, opts)).join('---\n');
}
