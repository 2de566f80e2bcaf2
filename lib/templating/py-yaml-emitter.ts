/**
 * The scalar half of PyYAML's emitter as `to_yaml` uses it (block style, width 80): the analysis of a
 * string that decides which styles it may take, and the writers of the four styles with PyYAML's line
 * folding. py-yaml.ts decides the style and walks the value.
 */
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

/** What PyYAML's analysis allows for a string. */
export interface Analysis {
  readonly multiline: boolean;
  readonly plain: boolean;
  readonly single: boolean;
  readonly block: boolean;
}

function isPrintableAscii(ch: string): boolean {
  return ch === '\n' || (ch >= ' ' && ch <= '~');
}

/**
 * PyYAML's analyze_scalar, reduced to the flags the block-style emitter needs. libyaml's analysis
 * (lib/util/yaml/emitter.ts) looks alike but is not the same: PyYAML with allow_unicode off takes any
 * non-ASCII character for special (libyaml writes it as is), and a line break after an indicator
 * counts as whitespace (libyaml counts only spaces and tabs). So the two stay apart.
 */
export function analyze(text: string): Analysis {
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

/** The output and cursor state of PyYAML's emitter. */
export class Writer {
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

/** A plain scalar, folded at spaces past the width. */
export function writePlain(w: Writer, text: string, indent: number): void {
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

/** A single-quoted scalar (`'` doubled), folded at spaces past the width. */
export function writeSingle(w: Writer, text: string, indent: number): void {
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

/** A double-quoted scalar with PyYAML's escapes, folded with `\\` past the width. */
export function writeDouble(w: Writer, text: string, indent: number): void {
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

/** A `|` block scalar with its indentation and chomping hints; returns whether it keeps trailing breaks (`|+`). */
export function writeLiteral(w: Writer, text: string, indent: number): boolean {
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
