/**
 * Path globs as Kluctl compiles them with github.com/gobwas/glob and `/` as separator (kluctl-semantics
 * §7.12, §9.4, and `gitFiles.files[].glob` of §3.2): `*` matches within one path segment, `**` across
 * segments, `?` one non-separator character, `[abc]`/`[!abc]` a list and `[a-z]`/`[!a-z]` a range,
 * `{a,b}` alternatives, `\x` a literal `x`. Stricter than gobwas where it forgives a malformed glob: an
 * unclosed `{` and a trailing `\` are errors here (gobwas closes the one and drops the other).
 */
import { KsError } from '../errors.js';

const SPECIAL = /[.+^$()|[\]{}\\*?/]/g;

function escapeChar(c: string): string {
  return c.replace(SPECIAL, '\\$&');
}

function escapeInClass(c: string): string {
  return c.replace(/[\\\]^-]/g, '\\$&');
}

/**
 * Translates a class from just after its `[`, as gobwas reads one: `!` negates; two characters around
 * `-` make a range, which then must end; anything else is a list up to the first unescaped `]`, in
 * which `-` is literal. An empty class, a range whose ends are reversed, and a missing `]` are errors.
 */
function translateClass(glob: string, start: number): [string, number] {
  const bad = (why: string): never => {
    throw new KsError('InvalidInput', `invalid glob '${glob}': ${why}`);
  };
  let i = start;
  const negate = glob[i] === '!';
  if (negate) i++;
  const prefix = negate ? '[^' : '[';
  const lo = glob[i];
  if (lo !== undefined && glob[i + 1] === '-') {
    const hi = glob[i + 2];
    if (hi === undefined || glob[i + 3] !== ']') return bad("unclosed '['");
    if (hi < lo) return bad(`range '${lo}-${hi}' is reversed`);
    return [`${prefix}${escapeInClass(lo)}-${escapeInClass(hi)}]`, i + 4];
  }
  let chars = '';
  while (i < glob.length && glob[i] !== ']') {
    if (glob[i] === '\\') i++;
    if (i < glob.length) chars += glob[i]!;
    i++;
  }
  if (i >= glob.length) return bad("unclosed '['");
  if (chars === '') return bad("empty '[]'");
  return [`${prefix}${escapeInClass(chars)}]`, i + 1];
}

/** Translates the glob from `start` to its end or, inside braces, to the `,` or `}` ending an alternative. */
function translate(glob: string, start: number, inBraces: boolean): [string, number] {
  let re = '';
  let i = start;
  while (i < glob.length) {
    const ch = glob[i]!;
    if (inBraces && (ch === ',' || ch === '}')) return [re, i];
    if (ch === '\\') {
      if (i + 1 >= glob.length) throw new KsError('InvalidInput', `invalid glob '${glob}': trailing '\\'`);
      re += escapeChar(glob[i + 1]!);
      i += 2;
    } else if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i += 2;
      } else {
        re += '[^/]*';
        i++;
      }
    } else if (ch === '?') {
      re += '[^/]';
      i++;
    } else if (ch === '[') {
      const [cls, next] = translateClass(glob, i + 1);
      re += cls;
      i = next;
    } else if (ch === '{') {
      const alts: string[] = [];
      let j = i + 1;
      for (;;) {
        const [alt, next] = translate(glob, j, true);
        alts.push(alt);
        if (glob[next] === '}') {
          j = next + 1;
          break;
        }
        if (glob[next] !== ',') throw new KsError('InvalidInput', `invalid glob '${glob}': unclosed '{'`);
        j = next + 1;
      }
      re += `(?:${alts.join('|')})`;
      i = j;
    } else {
      re += escapeChar(ch);
      i++;
    }
  }
  if (inBraces) throw new KsError('InvalidInput', `invalid glob '${glob}': unclosed '{'`);
  return [re, i];
}

/** Compiles a path glob into an anchored RegExp; throws InvalidInput naming the glob when malformed. */
export function compilePathGlob(glob: string): RegExp {
  return new RegExp(`^${translate(glob, 0, false)[0]}$`);
}
