/**
 * The subset of Masterminds/semver v3 that Kluctl uses for chart versions and `updateConstraints`
 * (kluctl-semantics §4.7): lenient versions (`v1`, `1.2`), `||` alternatives, comparators separated by
 * commas or spaces, `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards (`x`, `X`, `*`) and hyphen ranges.
 * A pre-release version only satisfies a comparator that itself names a pre-release.
 */

/** A parsed version; `pre` is empty for releases. */
export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly string[];
  readonly original: string;
}

const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a version the lenient Masterminds way; undefined when it is not one. */
export function parseSemver(s: string): SemVer | undefined {
  const m = VERSION_RE.exec(s.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    pre: m[4] ? m[4].split('.') : [],
    original: s,
  };
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return a.length === 0 ? (b.length === 0 ? 0 : 1) : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Orders two versions (-1, 0, 1). */
export function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  return comparePre(a.pre, b.pre);
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=';
interface Comparator {
  readonly op: Op;
  readonly v: SemVer;
}

/** A partial version: undefined parts are wildcards. */
interface Partial3 {
  major?: number;
  minor?: number;
  patch?: number;
  pre: string[];
}

function parsePartial(s: string): Partial3 {
  const m =
    /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
  if (!m) throw new Error(`improper constraint: ${s}`);
  const num = (x: string | undefined): number | undefined =>
    x === undefined || /^[xX*]$/.test(x) ? undefined : Number(x);
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  return { major, minor, patch, pre: m[4] ? m[4].split('.') : [] };
}

function v(major: number, minor: number, patch: number, pre: readonly string[] = []): SemVer {
  return { major, minor, patch, pre, original: `${major}.${minor}.${patch}` };
}

function lower(p: Partial3): SemVer {
  return v(p.major ?? 0, p.minor ?? 0, p.patch ?? 0, p.pre);
}

/** The exclusive upper bound of a partial version (`1.2` → 1.3.0); undefined when unbounded. */
function upperOfPartial(p: Partial3): SemVer | undefined {
  if (p.major === undefined) return undefined;
  if (p.minor === undefined) return v(p.major + 1, 0, 0);
  if (p.patch === undefined) return v(p.major, p.minor + 1, 0);
  return undefined;
}

function expand(op: string, p: Partial3): Comparator[] {
  const lo = lower(p);
  const wild = p.patch === undefined;
  switch (op) {
    case '':
    case '=': {
      if (!wild) return [{ op: '=', v: lo }];
      const up = upperOfPartial(p);
      return up
        ? [
            { op: '>=', v: lo },
            { op: '<', v: up },
          ]
        : [{ op: '>=', v: v(0, 0, 0) }];
    }
    case '!=':
      return [{ op: '!=', v: lo }];
    case '>': {
      const up = wild ? upperOfPartial(p) : undefined;
      return up ? [{ op: '>=', v: up }] : [{ op: '>', v: lo }];
    }
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: lo }];
    case '<=': {
      const up = wild ? upperOfPartial(p) : undefined;
      return up ? [{ op: '<', v: up }] : [{ op: '<=', v: lo }];
    }
    case '~': {
      if (p.major === undefined) return [{ op: '>=', v: v(0, 0, 0) }];
      const up = p.minor === undefined ? v(p.major + 1, 0, 0) : v(p.major, p.minor + 1, 0);
      return [
        { op: '>=', v: lo },
        { op: '<', v: up },
      ];
    }
    case '^': {
      if (p.major === undefined) return [{ op: '>=', v: v(0, 0, 0) }];
      let up: SemVer;
      if (p.major > 0 || p.minor === undefined) up = v(p.major + 1, 0, 0);
      else if (p.minor > 0 || p.patch === undefined) up = v(0, p.minor + 1, 0);
      else up = v(0, 0, p.patch + 1);
      return [
        { op: '>=', v: lo },
        { op: '<', v: up },
      ];
    }
  }
  throw new Error(`improper constraint operator: ${op}`);
}

function parseGroup(group: string): Comparator[] {
  const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(group);
  if (hyphen) {
    const a = parsePartial(hyphen[1]!);
    const b = parsePartial(hyphen[2]!);
    return [...expand('>=', a), ...expand('<=', b)];
  }
  const parts = group
    .replace(/(>=|<=|!=|=|>|<|~|\^)\s+/g, '$1')
    .split(/[\s,]+/)
    .filter((x) => x);
  if (parts.length === 0) throw new Error('empty constraint');
  return parts.flatMap((part) => {
    const m = /^(>=|<=|!=|=>|=<|=|>|<|~>|~|\^)?(.*)$/.exec(part)!;
    const op = { '=>': '>=', '=<': '<=', '~>': '~' }[m[1] ?? ''] ?? m[1] ?? '';
    return expand(op, parsePartial(m[2]!));
  });
}

function check(c: Comparator, x: SemVer): boolean {
  const r = compareSemver(x, c.v);
  switch (c.op) {
    case '=':
      return r === 0;
    case '!=':
      return r !== 0;
    case '>':
      return r > 0;
    case '<':
      return r < 0;
    case '>=':
      return r >= 0;
    case '<=':
      return r <= 0;
  }
}

/** A parsed constraint; throws (plain Error) with Masterminds' wording on syntax errors. */
export function parseConstraint(s: string): (x: SemVer) => boolean {
  const groups = s.split('||').map(parseGroup);
  return (x) =>
    groups.some((cs) =>
      cs.every((c) => (x.pre.length > 0 && c.v.pre.length === 0 && c.op !== '!=' ? false : check(c, x))),
    );
}
