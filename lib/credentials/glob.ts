/**
 * Path globs as Kluctl compiles them (gobwas/glob with `/` as separator, kluctl-semantics §7.12, §9.4):
 * `*` matches within one path segment, `**` across segments, `?` one non-separator character,
 * `[abc]`/`[!abc]`/`[a-z]` a character class, `{a,b}` alternatives, `\x` a literal `x`.
 */
import { KsError } from '../errors.js';

const SPECIAL = /[.+^$()|[\]{}\\*?/]/g;

function escapeChar(c: string): string {
  return c.replace(SPECIAL, '\\$&');
}

/** Translates the glob from `i` until `stop` (a char that ends an alternative) or the end. */
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
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new KsError('InvalidInput', `invalid glob '${glob}': unclosed '['`);
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end + 1;
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
