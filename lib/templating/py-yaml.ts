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

const BREAKS = '\n\x85\u2028\u2029';
const WIDTH = 80;
const ESCAPES: Record<string, string> = {
  '\0': '0',
  '\x07': 'a',
  '\b': 'b',
  '\t': 't',
  '\n': 'n',
  '\v': 'v',
  '\f': 'f',
  '\r': 'r',
  '\x1b': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xa0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

interface Analysis {
  readonly multiline: boolean;
  readonly plain: boolean;
  readonly single: boolean;
  readonly block: boolean;
}

function isPrintableAscii(ch: string): boolean {
  return ch === '\n' || (ch >= ' ' && ch <= '~');
}

/** PyYAML's analyze_scalar, reduced to the flags the block-style emitter needs. */
function analyze(text: string): Analysis {
  if (text === '') return { multiline: false, plain: false, single: true, block: false };
  let blockInd = text.startsWith('---') || text.startsWith('...');
  let lineBreaks = false,
    special = false;
  let leadSpace = false,
    leadBreak = false,
    trailSpace = false,
    trailBreak = false;
  let breakSpace = false,
    spaceBreak = false,
    prevSpace = false,
    prevBreak = false;
  let preceded = true;
  const ws = (c: string | undefined): boolean => c === undefined || '\0 \t\r\n\x85\u2028\u2029'.includes(c);
  let followed = text.length === 1 || ws(text[1]);
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const ch = text[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockInd = true;
      if ((ch === '?' || ch === ':') && followed) blockInd = true;
      if (ch === '-' && followed) blockInd = true;
    } else {
      if (ch === ':' && followed) blockInd = true;
      if (ch === '#' && preceded) blockInd = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    if (!isPrintableAscii(ch)) special = true;
    if (ch === ' ') {
      if (i === 0) leadSpace = true;
      if (i === n - 1) trailSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadBreak = true;
      if (i === n - 1) trailBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = prevBreak = false;
    }
    preceded = ws(ch);
    followed = i + 1 >= n - 1 || ws(text[i + 2]);
  }
  let plain = !(leadSpace || leadBreak || trailSpace || trailBreak);
  let single = true;
  let block = !trailSpace;
  if (breakSpace) plain = single = false;
  if (spaceBreak || special) plain = single = block = false;
  if (lineBreaks || blockInd) plain = false;
  return { multiline: lineBreaks, plain, single, block };
}

class Writer {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  openEnded = false;

  write(s: string): void {
    this.out += s;
    this.column += s.length;
    if (s.trim() !== '') this.whitespace = this.indention = false;
  }

  lineBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.whitespace = true;
    this.indention = true;
  }

  indent(n: number): void {
    if (!this.indention || this.column > n || (this.column === n && !this.whitespace)) this.lineBreak();
    if (this.column < n) this.write(' '.repeat(n - this.column));
  }
}

function writePlain(w: Writer, text: string, indent: number): void {
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && w.column > WIDTH) w.indent(indent);
        else w.write(text.slice(start, end));
        start = end;
      }
    } else if (ch === undefined || ch === ' ') {
      w.write(text.slice(start, end));
      start = end;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
}

function writeSingle(w: Writer, text: string, indent: number): void {
  w.write("'");
  let spaces = false,
    breaks = false,
    start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (spaces) {
      if (ch !== ' ') {
        if (start + 1 === end && w.column > WIDTH && start !== 0 && end !== text.length) w.indent(indent);
        else w.write(text.slice(start, end));
        start = end;
      }
    } else if (breaks) {
      if (ch === undefined || !BREAKS.includes(ch)) {
        if (text[start] === '\n') w.lineBreak();
        for (const br of text.slice(start, end)) if (br === '\n') w.lineBreak();
        w.indent(indent);
        start = end;
      }
    } else if (ch === undefined || ' \n'.includes(ch) || ch === "'") {
      if (start < end) w.write(text.slice(start, end));
      start = end;
    }
    if (ch === "'") {
      w.write("''");
      start = end + 1;
    }
    if (ch !== undefined) {
      spaces = ch === ' ';
      breaks = BREAKS.includes(ch);
    }
  }
  w.write("'");
}

function writeDouble(w: Writer, text: string, indent: number): void {
  w.write('"');
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (ch === undefined || '"\\\x85\u2028\u2029\ufeff'.includes(ch) || !(ch >= ' ' && ch <= '~')) {
      if (start < end) w.write(text.slice(start, end));
      start = end;
      if (ch !== undefined) {
        const c = ch.charCodeAt(0);
        const hex = (d: number): string => c.toString(16).toUpperCase().padStart(d, '0');
        w.write(ESCAPES[ch] !== undefined ? `\\${ESCAPES[ch]}` : c <= 0xff ? `\\x${hex(2)}` : `\\u${hex(4)}`);
        start = end + 1;
      }
    }
    if (
      end > 0 &&
      end < text.length - 1 &&
      (ch === ' ' || start >= end) &&
      w.column + (end - start) > WIDTH
    ) {
      w.write(`${text.slice(start, end)}\\`);
      if (start < end) start = end;
      w.indent(indent);
      w.whitespace = false;
      w.indention = false;
      if (text[start] === ' ') w.write('\\');
    }
  }
  w.write('"');
}

function writeLiteral(w: Writer, text: string, indent: number): boolean {
  let hints = BREAKS.includes(text[0]!) || text[0] === ' ' ? '2' : '';
  const last = text[text.length - 1]!;
  if (!BREAKS.includes(last)) hints += '-';
  else if (text.length === 1 || BREAKS.includes(text[text.length - 2]!)) hints += '+';
  w.write(`|${hints}`);
  if (hints.endsWith('+')) w.openEnded = true;
  w.lineBreak();
  let breaks = true,
    start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = text[end];
    if (breaks) {
      if (ch === undefined || !BREAKS.includes(ch)) {
        for (let i = start; i < end; i++) w.lineBreak();
        if (ch !== undefined) w.indent(indent);
        start = end;
      }
    } else if (ch === undefined || BREAKS.includes(ch)) {
      w.write(text.slice(start, end));
      if (ch === undefined) w.lineBreak();
      start = end;
    }
    if (ch !== undefined) breaks = BREAKS.includes(ch);
  }
  return hints.endsWith('+');
}

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
