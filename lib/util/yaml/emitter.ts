/**
 * The writing half of libyaml as go.yaml.in/yaml/v2 configures it (Kluctl writes every YAML file and
 * `--print-all` through sigs.k8s.io/yaml, i.e. yaml.v2): block style, two-space indentation, sequences
 * not indented under their key, empty collections as `[]`/`{}`, and plain or quoted scalars folded at
 * 80 columns exactly where libyaml folds them (a fold is a line break the readers turn back into the
 * space it replaced, so the text reads back unchanged). Scalar analysis and the four scalar writers
 * follow libyaml's `yaml_emitter_analyze_scalar` and `yaml_emitter_write_*_scalar`.
 */

/** A scalar style libyaml can write. */
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

/** What libyaml's analysis allows for a scalar value. */
interface Analysis {
  readonly multiline: boolean;
  readonly flowPlain: boolean;
  readonly blockPlain: boolean;
  readonly single: boolean;
  readonly block: boolean;
}

const isBreak = (c: string | undefined): boolean =>
  c === '\r' || c === '\n' || c === '\x85' || c === '\u2028' || c === '\u2029';
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';
/** libyaml's is_printable: LF, printable ASCII, and the BMP without surrogates, U+FEFF, U+FFFE/F. */
function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0)!;
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

/**
 * libyaml's `yaml_emitter_analyze_scalar` (with `unicode` on, as yaml.v2 sets it). PyYAML's analysis
 * (lib/templating/py-yaml-emitter.ts) looks alike but differs where it matters (ASCII only, breaks count as
 * whitespace after an indicator), so the two stay apart.
 */
function analyze(chars: readonly string[]): Analysis {
  if (chars.length === 0)
    return { multiline: false, flowPlain: false, blockPlain: true, single: true, block: false };
  let blockInd = false;
  let flowInd = false;
  const head = chars.slice(0, 3).join('');
  if (head === '---' || head === '...') blockInd = flowInd = true;
  let lineBreaks = false;
  let special = false;
  let leadSpace = false;
  let leadBreak = false;
  let trailSpace = false;
  let trailBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let prevSpace = false;
  let prevBreak = false;
  let preceded = true;
  const n = chars.length;
  for (let i = 0; i < n; i++) {
    const c = chars[i]!;
    const followed = i + 1 >= n || isBlank(chars[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) flowInd = blockInd = true;
      else if (c === '?' || c === ':') {
        flowInd = true;
        if (followed) blockInd = true;
      } else if (c === '-' && followed) flowInd = blockInd = true;
    } else if (',?[]{}'.includes(c)) flowInd = true;
    else if (c === ':') {
      flowInd = true;
      if (followed) blockInd = true;
    } else if (c === '#' && preceded) flowInd = blockInd = true;
    // libyaml writes U+2028/U+2029 raw as line breaks; YAML 1.2 readers (the yaml package among them)
    // take them for text, so they are escaped in double quotes instead (a deliberate difference).
    if (!isPrintable(c) || c === '\u2028' || c === '\u2029') special = true;
    if (c === ' ') {
      if (i === 0) leadSpace = true;
      if (i === n - 1) trailSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadBreak = true;
      if (i === n - 1) trailBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = prevBreak = false;
    }
    preceded = isBlank(c) || isBreak(c) || c === '\0';
  }
  let flowPlain = true;
  let blockPlain = true;
  let single = true;
  let block = true;
  if (leadSpace || leadBreak || trailSpace || trailBreak) flowPlain = blockPlain = false;
  if (trailSpace) block = false;
  if (breakSpace) flowPlain = blockPlain = single = false;
  if (spaceBreak || special) flowPlain = blockPlain = single = block = false;
  if (lineBreaks) flowPlain = blockPlain = false;
  if (flowInd) flowPlain = false;
  if (blockInd) blockPlain = false;
  return { multiline: lineBreaks, flowPlain, blockPlain, single, block };
}

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

/** The output and cursor state of libyaml's emitter; collections are driven by the caller. */
export class Emitter {
  private readonly out: string[] = [];
  private column = 0;
  private whitespace = true;
  private indention = true;
  /** Current indentation; -1 before the root node. */
  indent = -1;
  private readonly indents: number[] = [];
  flowLevel = 0;
  /** Node context flags, as libyaml's emit_node sets them. */
  root = false;
  sequence = false;
  mapping = false;
  simpleKey = false;

  /** `width`: the fold column (libyaml's best_width); Infinity never folds. */
  constructor(private readonly width: number) {}

  /** The text written so far. */
  text(): string {
    return this.out.join('');
  }

  private put(s: string): void {
    this.out.push(s);
    this.column += 1;
  }

  private putBreak(): void {
    this.out.push('\n');
    this.column = 0;
  }

  private writeBreak(c: string): void {
    if (c === '\n') this.putBreak();
    else {
      this.out.push(c);
      this.column = 0;
    }
  }

  /** Pushes the indentation (libyaml's increase_indent). */
  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? 2 : 0;
    else if (!indentless) this.indent += 2;
  }

  /** Whether the cursor is still in the indentation of the current line. */
  indentionState(): boolean {
    return this.indention;
  }

  /** Pops the indentation. */
  popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  /** A line break when needed, then spaces up to the indentation. */
  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace))
      this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  /** Writes an indicator (`-`, `:`, `?`, `[`, quotes...). */
  writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const c of ind) this.put(c);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** Whether a key can be written as `key:` (single line, at most 128 bytes). */
  static isSimpleKey(value: string): boolean {
    return !analyze([...value]).multiline && Buffer.byteLength(value) <= 128;
  }

  /** Writes a scalar in the requested style, falling back as libyaml's select_scalar_style does. */
  scalar(value: string, requested: ScalarStyle): void {
    const chars = [...value];
    const a = analyze(chars);
    let style = requested;
    if (this.simpleKey && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlain) || (this.flowLevel === 0 && !a.blockPlain)) style = 'single';
      if (chars.length === 0 && (this.flowLevel > 0 || this.simpleKey)) style = 'single';
    }
    if (style === 'single' && !a.single) style = 'double';
    if (style === 'literal' && (!a.block || this.flowLevel > 0 || this.simpleKey)) style = 'double';
    this.increaseIndent(true, false);
    const breaks = !this.simpleKey;
    if (style === 'plain' || style === 'single') this.writeFlowText(chars, breaks, style === 'single');
    else if (style === 'double') this.writeDouble(chars, breaks);
    else this.writeLiteral(chars);
    this.popIndent();
  }

  /**
   * libyaml's plain and single-quoted writers (the same but for the quotes): a space past the width
   * becomes a line break, a line break inside the text is written twice (a lone one would fold).
   */
  private writeFlowText(chars: readonly string[], allowBreaks: boolean, quoted: boolean): void {
    if (quoted) this.writeIndicator("'", true, false, false);
    else if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === ' ') {
        // Plain text never starts or ends with a space, so the position checks only matter quoted.
        const fold = allowBreaks && !spaces && this.column > this.width && i > 0 && i < chars.length - 1;
        if (fold && chars[i + 1] !== ' ') this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (quoted && c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = breaks = false;
      }
    }
    if (quoted) this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDouble(chars: readonly string[], allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    // libyaml checks for a byte order mark at the start of the value, not at each character.
    const bom = chars[0] === '\ufeff';
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!isPrintable(c) || bom || isBreak(c) || c === '"' || c === '\\') {
        const cp = c.codePointAt(0)!;
        this.put('\\');
        const e = ESCAPES[cp];
        if (e !== undefined) this.put(e);
        else {
          const [letter, n] = cp <= 0xff ? ['x', 2] : cp <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const d of cp.toString(16).toUpperCase().padStart(n, '0')) this.put(d);
        }
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > this.width && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (chars[i + 1] === ' ') this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(chars: readonly string[]): void {
    this.writeIndicator('|', true, false, false);
    // Block scalar hints: an indentation indicator for leading space or break, then chomping.
    if (chars[0] === ' ' || isBreak(chars[0])) this.writeIndicator('2', false, false, false);
    const n = chars.length;
    let chomp = '';
    if (n === 0 || !isBreak(chars[n - 1])) chomp = '-';
    else if (n === 1 || isBreak(chars[n - 2])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}
