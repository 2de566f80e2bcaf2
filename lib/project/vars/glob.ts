/**
 * The glob dialect of `gitFiles.files[].glob` (gobwas/glob with `/` as separator): `*` within one path
 * segment, `**` across segments, `?` one character, `[abc]`/`[!abc]` classes, `{a,b}` alternatives.
 */
import { ProjectLoadError } from '../../errors.js';

/** Compiles a glob into an anchored regex over forward-slash paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) throw new ProjectLoadError(`invalid glob '${glob}': unclosed '['`);
      let cls = glob.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else if (c === '\\' && i + 1 < glob.length) re += escapeChar(glob[++i]!);
    else re += escapeChar(c);
  }
  if (depth !== 0) throw new ProjectLoadError(`invalid glob '${glob}': unclosed '{'`);
  return new RegExp(`^${re}$`);
}

function escapeChar(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
