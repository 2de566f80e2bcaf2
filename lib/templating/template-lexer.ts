/**
 * Splits a template into liquidjs tokens the way Jinja2's lexer does: `{{ }}` and `{% %}` end only
 * outside strings and brackets (so `{{ "}}" }}` and `{{ {'a': {'b': 1}} }}` work), `{# #}` comments,
 * `{% raw %}` blocks, and `-` whitespace control that strips all whitespace, newlines included.
 * Output and comments become tags named `__output` and `__comment`, so liquidjs's parser and tag layer
 * handle everything.
 */
import { TagToken, Tokenizer } from 'liquidjs';
import type { LiquidOptions, TopLevelToken } from 'liquidjs';
import { syntaxError } from './jinja-error.js';

type HtmlToken = TopLevelToken & { trimLeft: number; trimRight: number; begin: number; end: number };
type MutableTag = TagToken & {
  input: string;
  begin: number;
  end: number;
  file?: string;
  contentRange: [number, number];
  trimLeft: boolean;
  trimRight: boolean;
  name: string;
  args: string;
};

const RAW_BEGIN = /\{%([-+]?)\s*raw\s*(-?)%\}/y;
const RAW_END = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;

/** Where a `{{`/`{%` construct ends: the index after its closing delimiter. */
function findEnd(src: string, from: number, close: '}}' | '%}'): number {
  let depth = 0;
  for (let p = from; p < src.length; p++) {
    const ch = src[p]!;
    if (ch === '"' || ch === "'") {
      let q = p + 1;
      while (q < src.length && src[q] !== ch) q += src[q] === '\\' ? 2 : 1;
      p = q;
    } else if (ch === '(' || ch === '[' || ch === '{') {
      depth++;
    } else if (depth > 0 && (ch === ')' || ch === ']' || ch === '}')) depth--;
    else if (depth === 0 && src.startsWith(close, p)) return p + 2;
  }
  return -1;
}

/** Builds the liquidjs token stream of a Jinja template. */
export class TemplateLexer {
  private readonly tokens: TopLevelToken[] = [];
  private stripNext = false;
  private readonly dummy: string;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly options: LiquidOptions,
  ) {
    this.dummy = '{%__output%}';
  }

  private html(begin: number, end: number): void {
    if (end <= begin && !this.stripNext) return;
    const t = new Tokenizer(this.src, undefined, this.file, [begin, end]).readHTMLToken(
      [],
    ) as unknown as HtmlToken;
    t.begin = begin;
    t.end = end;
    if (this.stripNext) {
      while (t.begin + t.trimLeft < end && /\s/.test(this.src[t.begin + t.trimLeft]!)) t.trimLeft++;
      this.stripNext = false;
    }
    this.tokens.push(t as TopLevelToken);
  }

  private stripPrevious(): void {
    const last = this.tokens[this.tokens.length - 1] as HtmlToken | undefined;
    if (!last || last.kind !== 16) return; // TokenKind.HTML
    while (
      last.end - last.trimRight > last.begin + last.trimLeft &&
      /\s/.test(this.src[last.end - last.trimRight - 1]!)
    )
      last.trimRight++;
  }

  private tag(begin: number, end: number, name: string, args?: string): MutableTag {
    const inner = this.src.slice(begin + 2, end - 2);
    const trimLeft = inner.startsWith('-');
    const trimRight = inner.endsWith('-');
    // A token parsed from a stand-in text, then pointed at the real source (positions, getText()).
    const tok = new TagToken(
      this.dummy,
      0,
      this.dummy.length,
      this.options as never,
      this.file,
    ) as MutableTag;
    tok.input = this.src;
    tok.begin = begin;
    tok.end = end;
    tok.contentRange = [begin + 2, end - 2];
    tok.name = name;
    tok.args = args ?? '';
    tok.trimLeft = trimLeft;
    tok.trimRight = trimRight;
    if (trimLeft) this.stripPrevious();
    this.tokens.push(tok);
    this.stripNext = trimRight;
    return tok;
  }

  private raw(begin: number): number {
    RAW_BEGIN.lastIndex = begin;
    const m = RAW_BEGIN.exec(this.src)!;
    this.tag(begin, begin + m[0].length, 'raw');
    RAW_END.lastIndex = begin + m[0].length;
    const e = RAW_END.exec(this.src);
    if (!e) throw syntaxError('Missing end of raw directive');
    let cBegin = begin + m[0].length;
    let cEnd = e.index;
    if (m[2] === '-') while (cBegin < cEnd && /\s/.test(this.src[cBegin]!)) cBegin++;
    if (e[1] === '-') while (cEnd > cBegin && /\s/.test(this.src[cEnd - 1]!)) cEnd--;
    this.stripNext = false;
    this.html(cBegin, cEnd);
    this.tag(e.index, e.index + e[0].length, 'endraw');
    return e.index + e[0].length;
  }

  /** Tokenizes the whole source. */
  run(): TopLevelToken[] {
    const src = this.src;
    let p = 0;
    while (p < src.length) {
      const next = src.indexOf('{', p);
      const open = next < 0 ? -1 : next;
      let q = open;
      while (q >= 0 && !['{{', '{%', '{#'].includes(src.slice(q, q + 2))) q = src.indexOf('{', q + 1);
      if (q < 0) {
        this.html(p, src.length);
        break;
      }
      if (q > p || this.stripNext) this.html(p, q);
      const kind = src[q + 1];
      if (kind === '#') {
        const end = src.indexOf('#}', q + 2);
        if (end < 0) throw syntaxError('Missing end of comment tag');
        this.tag(q, end + 2, '__comment');
        p = end + 2;
        continue;
      }
      RAW_BEGIN.lastIndex = q;
      if (kind === '%' && RAW_BEGIN.test(src)) {
        p = this.raw(q);
        continue;
      }
      const end = findEnd(src, q + 2, kind === '{' ? '}}' : '%}');
      if (end < 0)
        throw syntaxError(
          kind === '{'
            ? "unexpected end of template, expected '}}'"
            : "unexpected end of template, expected '%}'",
        );
      if (kind === '{') {
        let body = src.slice(q + 2, end - 2);
        if (body.startsWith('-') || body.startsWith('+')) body = body.slice(1);
        if (body.endsWith('-')) body = body.slice(0, -1);
        this.tag(q, end, '__output', body);
      } else {
        let body = src.slice(q + 2, end - 2);
        if (body.startsWith('-') || body.startsWith('+')) body = body.slice(1);
        if (body.endsWith('-') || body.endsWith('+')) body = body.slice(0, -1);
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*([\s\S]*)$/.exec(body);
        if (!m) throw syntaxError(`tag name expected in '${src.slice(q, end)}'`);
        this.tag(q, end, m[1]!, m[2]!.trimEnd());
      }
      p = end;
    }
    return this.tokens;
  }
}
