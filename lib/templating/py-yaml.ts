/**
 * `to_yaml` as Kluctl does it: PyYAML's `yaml.dump(v, Dumper=SafeDumper, sort_keys=False)` with two
 * string representer tweaks (multi-line strings as `|` blocks, numeric strings single-quoted). The
 * style decisions (plain, single-quoted, double-quoted, literal), line folding at 80 columns and
 * indentation follow PyYAML's emitter, so templates that embed `{{ x | to_yaml }}` match byte for byte.
 */
/* eslint-disable no-control-regex -- Python's whitespace and line-break classes include \x1c-\x1f. */
import { JinjaError } from './jinja-error.js';
import { PyRange } from './py-range.js';
import { pyFloatRepr } from './py-repr.js';
import { PyFloat, Undef, isDict } from './py-values.js';
import { pyYamlResolvesToNonString } from '../util/yaml.js';
import { Writer, analyze, writeDouble, writeLiteral, writePlain, writeSingle } from './py-yaml-emitter.js';

/** Writes a string scalar; returns whether the document must be closed with `...` (open ended). */
function writeString(w: Writer, s: string, indent: number, simpleKey: boolean): boolean {
  const a = analyze(s);
  // Kluctl's representer: more than one line (Python's splitlines) makes a literal block.
  const multiline = /[\n\r\v\f\x1c-\x1e\x85\u2028\u2029](?!$)/.test(s.replace(/\r\n/g, '\n'));
  const numeric = s !== '' && /^\p{N}+$/u.test(s);
  if (!simpleKey && multiline && a.block) return writeLiteral(w, s, indent);
  w.whitespace = false;
  w.indention = false;
  if (!numeric && !multiline && a.plain && !pyYamlResolvesToNonString(s) && !(simpleKey && a.multiline)) {
    writePlain(w, s, indent);
    return true;
  }
  if (a.single && !(simpleKey && a.multiline)) writeSingle(w, s, indent);
  else writeDouble(w, s, indent);
  return false;
}

function scalarText(v: unknown): string | null {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  // Kluctl hands values to Python as JSON, where integers from 1e21 on are spelled as floats (`1e+21`).
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  if (typeof v === 'number' || v instanceof PyFloat) {
    const n = v instanceof PyFloat ? v.v : v;
    if (Number.isNaN(n)) return '.nan';
    if (!Number.isFinite(n)) return n > 0 ? '.inf' : '-.inf';
    const r = pyFloatRepr(n).toLowerCase();
    return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
  }
  return null;
}

/** Writes a scalar value; returns whether it is open ended (plain at document level). */
function writeScalar(w: Writer, v: unknown, indent: number, simpleKey = false): boolean {
  if (typeof v === 'string') return writeString(w, v, indent, simpleKey);
  w.write(scalarText(v) ?? String(v));
  return true;
}

function isEmptyCollection(v: unknown): string | null {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (isDict(v) && Object.keys(v).length === 0) return '{}';
  return null;
}

type Place = 'root' | 'mapValue' | 'seqItem';

function newline(w: Writer, n: number): void {
  w.indent(n);
  w.whitespace = true;
}

/**
 * Emits a node. `indent` is the indent of the enclosing collection; the writer stands at the start of
 * the document (root), after `key:` (mapValue) or after `-` (seqItem).
 */
function emitNode(w: Writer, v: unknown, indent: number, place: Place): boolean {
  if (v instanceof Undef) throw v.error();
  // PyYAML's safe dumper has no representer for ranges.
  if (v instanceof PyRange)
    throw new JinjaError('RepresenterError', `('cannot represent an object', ${String(v)})`);
  const empty = isEmptyCollection(v);
  if (empty) {
    w.write(place === 'root' ? empty : ` ${empty}`);
    return false;
  }
  if (isDict(v)) {
    const m = place === 'root' ? 0 : indent + 2;
    Object.entries(v).forEach(([k, x], i) => {
      if (i === 0 && place === 'seqItem') w.write(' ');
      else if (i > 0 || place === 'mapValue') newline(w, m);
      w.whitespace = true;
      writeScalar(w, k, m, true);
      w.write(':');
      emitNode(w, x, m, 'mapValue');
    });
    return false;
  }
  if (Array.isArray(v)) {
    // Sequences inside mappings are not indented (PyYAML's indentless sequences).
    const s = place === 'seqItem' ? indent + 2 : indent;
    v.forEach((x, i) => {
      if (i === 0 && place === 'seqItem') w.write(' -');
      else {
        if (i > 0 || place === 'mapValue') newline(w, s);
        w.write('-');
      }
      emitNode(w, x, s, 'seqItem');
    });
    return false;
  }
  if (place !== 'root') w.write(' ');
  w.whitespace = true;
  const plain = writeScalar(w, v, place === 'root' ? 2 : indent + 2);
  return place === 'root' && plain;
}

/** PyYAML's `yaml.dump` of a JSON-like value with Kluctl's dumper settings. */
export function pyYamlDump(v: unknown): string {
  const w = new Writer();
  const open = emitNode(w, v, 0, 'root');
  if (!w.out.endsWith('\n') || w.column > 0) w.lineBreak();
  if (open || w.openEnded) w.write('...\n');
  return w.out;
}
