/**
 * The `unifiedDiff` text of a change (kluctl-semantics §7.7): `-old\n+new` for one-line values, every
 * line prefixed for inserts and deletes, and a line diff with `@@` hunks (3 lines of context) when a
 * value spans several lines. Maps and lists are shown as YAML with sorted keys, as Kluctl does.
 */
import { writeYaml } from '../../util/yaml.js';

/** Marks the side of a change that has no value (insert/delete). */
export const NOT_PRESENT = Symbol('not present');

/** A value as Kluctl prints it in diffs. */
function diffableString(v: unknown, showType = false): string {
  let s: string;
  if (v === NOT_PRESENT) return '';
  if (v === null || v === undefined) s = '<nil>';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'object') s = toYaml(v);
  else s = String(v);
  return showType ? `${s} (type: ${goTypeName(v)})` : s;
}

/** YAML as Kluctl writes it (sorted keys, unindented lists). */
function toYaml(v: unknown): string {
  return writeYaml(v);
}

function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return '';
}

/** The unified diff between two values (either may be NOT_PRESENT). */
export function buildUnifiedDiff(a: unknown, b: unknown): string {
  const showType = a !== NOT_PRESENT && b !== NOT_PRESENT && typeOf(a) !== typeOf(b);
  const as = diffableString(a, showType);
  const bs = diffableString(b, showType);
  if (as === '') return prefixLines(bs, '+');
  if (bs === '') return prefixLines(as, '-');
  if (!as.includes('\n') && !bs.includes('\n')) return `-${as}\n+${bs}`;
  return lineDiff(as, bs);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

function prefixLines(s: string, p: string): string {
  return (s.endsWith('\n') ? s.slice(0, -1) : s)
    .split('\n')
    .map((l) => p + l)
    .join('\n');
}

type Op = { t: ' ' | '-' | '+'; line: string };

/** Line diff (longest common subsequence) rendered as unified hunks without the file header. */
function lineDiff(a: string, b: string): string {
  const al = splitLines(a);
  const bl = splitLines(b);
  const ops = lcsOps(al, bl);
  const CONTEXT = 3;
  const out: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.t === ' ') {
      i++;
      continue;
    }
    // A hunk: from CONTEXT lines before the change to CONTEXT lines after the last nearby change.
    let start = Math.max(0, i - CONTEXT);
    while (start < i && ops[start]!.t !== ' ') start++;
    let end = i;
    let lastChange = i;
    while (end < ops.length && end - lastChange <= 2 * CONTEXT) {
      if (ops[end]!.t !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + CONTEXT + 1);
    const hunk = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter((o) => o.t !== '+').length + 1;
    const bStart = ops.slice(0, start).filter((o) => o.t !== '-').length + 1;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@`);
    for (const o of hunk) out.push(`${o.t}${o.line}`);
    i = end;
  }
  return out.join('\n');
}

function range(start: number, len: number): string {
  return len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`;
}

function splitLines(s: string): string[] {
  return (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
}

function lcsOps(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lengths[i][j] = LCS of a[i..] and b[j..]; values are multi-line strings, so sizes stay small.
  const lengths: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lengths[i]![j] =
        a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ t: ' ', line: a[i]! });
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) ops.push({ t: '-', line: a[i++]! });
    else ops.push({ t: '+', line: b[j++]! });
  }
  while (i < n) ops.push({ t: '-', line: a[i++]! });
  while (j < m) ops.push({ t: '+', line: b[j++]! });
  return ops;
}
