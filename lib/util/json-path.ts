/**
 * The small JSONPath dialect Kluctl uses for `targetPath`, `http.jsonPath` and `clusterObject.path`
 * (its MyJsonPath): `$` (optional) for the root, `.key` or a bare first key, `["key"]`/`['key']` for
 * keys with dots, `[n]` for list indexes and `*`/`[*]` for every element.
 */
import { ProjectLoadError } from '../errors.js';
import { isDict } from './dict.js';
import type { Dict } from './dict.js';

/** One step of a path. */
export type PathSegment =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'wildcard' };

const BARE_KEY = /^[^.[\]]+/;

/** Parses a path; throws ProjectLoadError naming the path when it is malformed. */
export function parseJsonPath(path: string): PathSegment[] {
  const bad = (why: string): never => {
    throw new ProjectLoadError(`invalid JSON path '${path}': ${why}`);
  };
  let rest = path.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  const out: PathSegment[] = [];
  let first = true;
  while (rest !== '') {
    if (rest.startsWith('[')) {
      const m = /^\[\s*(?:\*|(-?\d+)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]/.exec(rest);
      if (!m) return bad(`cannot parse '${rest}'`);
      if (m[1] !== undefined) out.push({ kind: 'index', index: Number(m[1]) });
      else if (m[2] !== undefined) out.push({ kind: 'key', key: m[2].replace(/\\(.)/g, '$1') });
      else if (m[3] !== undefined) out.push({ kind: 'key', key: m[3].replace(/\\(.)/g, '$1') });
      else out.push({ kind: 'wildcard' });
      rest = rest.slice(m[0].length);
    } else {
      if (rest.startsWith('.')) rest = rest.slice(1);
      else if (!first) return bad(`expected '.' or '[' before '${rest}'`);
      const m = BARE_KEY.exec(rest);
      if (!m) return bad(`missing key before '${rest}'`);
      out.push(m[0] === '*' ? { kind: 'wildcard' } : { kind: 'key', key: m[0] });
      rest = rest.slice(m[0].length);
    }
    first = false;
  }
  return out;
}

/** Formats segments back into a path, for messages. */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  return segments
    .map((s, i) => {
      if (s.kind === 'index') return `[${s.index}]`;
      if (s.kind === 'wildcard') return '[*]';
      if (/^[A-Za-z0-9_-]+$/.test(s.key)) return i === 0 ? s.key : `.${s.key}`;
      return `[${JSON.stringify(s.key)}]`;
    })
    .join('');
}

/** Every value the path selects in `root`, in document order. */
export function getJsonPath(root: unknown, segments: readonly PathSegment[]): unknown[] {
  let current: unknown[] = [root];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const v of current) {
      if (seg.kind === 'key') {
        if (isDict(v) && Object.hasOwn(v, seg.key)) next.push(v[seg.key]);
      } else if (seg.kind === 'index') {
        if (Array.isArray(v)) {
          const i = seg.index < 0 ? v.length + seg.index : seg.index;
          if (i >= 0 && i < v.length) next.push(v[i]);
        }
      } else if (Array.isArray(v)) next.push(...(v as unknown[]));
      else if (isDict(v)) next.push(...Object.values(v));
    }
    current = next;
  }
  return current;
}

/**
 * A new dict holding `value` at `segments` (Kluctl's SetOne on an empty object): keys create dicts;
 * an index or wildcard has nothing to follow and fails as Kluctl does.
 */
export function setJsonPathOnEmpty(segments: readonly PathSegment[], value: unknown): Dict {
  if (segments.length === 0) {
    if (isDict(value)) return value;
    throw new ProjectLoadError('failed to set value to targetPath: the root can only be set to a dictionary');
  }
  const root: Dict = {};
  let cur: Dict = root;
  segments.forEach((seg, i) => {
    const where = formatJsonPath(segments.slice(0, i + 1));
    if (seg.kind === 'wildcard') {
      throw new ProjectLoadError(
        `failed to set value to targetPath: can not deduce what element to add at '${formatJsonPath(segments.slice(0, i))}'`,
      );
    }
    if (seg.kind === 'index')
      throw new ProjectLoadError(`failed to set value to targetPath: can not follow a <nil> at '${where}'`);
    if (i === segments.length - 1) cur[seg.key] = value;
    else cur = (cur[seg.key] = {}) as Dict;
  });
  return root;
}
