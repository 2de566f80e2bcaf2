/**
 * Jinja's filters over sequences and dicts: picking (`first`, `last`, `random`, `max`), reshaping
 * (`batch`, `slice`, `groupby`, `dictsort`), selecting (`select`, `rejectattr`, `unique`) and folding
 * (`join`, `sum`, `length`), with Jinja's attribute paths (`attribute='a.b'`).
 */
import { argument } from './expr-scope.js';
import type { FilterFn, Scope } from './expr-scope.js';
import { JinjaError } from './jinja-error.js';
import { getitem } from './py-access.js';
import { PyRange } from './py-range.js';
import { pyStr } from './py-repr.js';
import {
  Undef,
  isDict,
  isFloat,
  mkFloat,
  numValue,
  pyCompare,
  pyEq,
  pyIter,
  pyLen,
  truthy,
  tuple,
  typeName,
} from './py-values.js';

function attrGetter(attribute: unknown): (v: unknown) => unknown {
  if (attribute === undefined || attribute === null) return (v) => v;
  const parts = typeof attribute === 'string' ? attribute.split('.') : [attribute];
  return (v) => {
    let x = v;
    for (const p of parts) x = getitem(x, /^\d+$/.test(String(p)) ? Number(p) : p, String(p));
    return x;
  };
}

function sortKey(caseSensitive: boolean): (v: unknown) => unknown {
  return (v) => (!caseSensitive && typeof v === 'string' ? v.toLowerCase() : v);
}

function selectOrReject(
  s: Scope,
  seq: unknown,
  args: unknown[],
  kw: Record<string, unknown>,
  select: boolean,
  attr: boolean,
): unknown[] {
  const items = pyIter(seq);
  const get = attr ? attrGetter(args[0]) : (v: unknown) => v;
  const rest = attr ? args.slice(1) : args;
  let check: (v: unknown) => boolean;
  if (rest.length === 0) check = truthy;
  else {
    const name = String(rest[0]);
    const t = s.test(name);
    if (!t) throw new JinjaError('TemplateRuntimeError', `No test named '${name}'.`);
    check = (v) => t(s, v, rest.slice(1), kw);
  }
  return items.filter((v) => check(get(v)) === select);
}

function minMax(
  seq: unknown,
  args: unknown[],
  kw: Record<string, unknown>,
  sign: number,
  what: string,
): unknown {
  const items = pyIter(seq);
  if (items.length === 0) return new Undef('', `No aggregated item, sequence was empty.`);
  const key = attrGetter(argument(args, kw, 1, 'attribute', null));
  const ck = sortKey(Boolean(argument(args, kw, 0, 'case_sensitive', false)));
  let best = items[0];
  for (const v of items.slice(1)) if (pyCompare(ck(key(v)), ck(key(best)), what) * sign < 0) best = v;
  return best;
}

function sortItems(items: unknown[], key: (v: unknown) => unknown, reverse: boolean): unknown[] {
  const out = [...items].sort((a, b) => pyCompare(key(a), key(b)));
  return reverse ? out.reverse() : out;
}

/** The sequence filters, by name. */
export const SEQUENCE_FILTERS: Record<string, FilterFn> = {
  batch: (_s, v, [n, fill]) => {
    const items = pyIter(v);
    const size = Number(n);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    const last = out[out.length - 1];
    if (last && fill !== undefined && fill !== null) while (last.length < size) last.push(fill);
    return out;
  },
  count: (_s, v) => pyLen(v),
  dictsort: (_s, v, a, kw) => {
    if (!isDict(v)) throw new JinjaError('TypeError', `dictsort needs a dict, got ${typeName(v)}`);
    const cs = Boolean(argument(a, kw, 0, 'case_sensitive', false));
    const by = argument(a, kw, 1, 'by', 'key');
    const pos = by === 'value' ? 1 : 0;
    const ck = sortKey(cs);
    const pairs = Object.entries(v).map(([k, x]) => tuple([k, x]));
    return sortItems(pairs, (p) => ck((p as unknown[])[pos]), Boolean(argument(a, kw, 2, 'reverse', false)));
  },
  first: (_s, v) => {
    if (v instanceof PyRange)
      return v.length > 0 ? v.at(0) : new Undef('', 'No first item, sequence was empty.');
    const items = pyIter(v);
    return items.length > 0 ? items[0] : new Undef('', 'No first item, sequence was empty.');
  },
  groupby: (_s, v, a, kw) => {
    const key = attrGetter(argument(a, kw, 0, 'attribute', null));
    const dflt = argument(a, kw, 1, 'default', undefined);
    const ck = sortKey(Boolean(argument(a, kw, 2, 'case_sensitive', false)));
    const k = (x: unknown): unknown => {
      const r = key(x);
      return r instanceof Undef && dflt !== undefined ? dflt : r;
    };
    const groups: [unknown, unknown[]][] = [];
    for (const item of sortItems(pyIter(v), (x) => ck(k(x)), false)) {
      const g = groups[groups.length - 1];
      if (g && pyEq(ck(g[0]), ck(k(item)))) g[1].push(item);
      else groups.push([k(item), [item]]);
    }
    return groups.map((g) => Object.assign(tuple(g), { grouper: g[0], list: g[1] }));
  },
  items: (_s, v) => (isDict(v) ? Object.entries(v).map(([k, x]) => tuple([k, x])) : []),
  join: (_s, v, a, kw) => {
    const get = attrGetter(argument(a, kw, 1, 'attribute', null));
    return pyIter(v)
      .map((x) => pyStr(get(x)))
      .join(pyStr(argument(a, kw, 0, 'd', '')));
  },
  last: (_s, v) => {
    if (v instanceof PyRange)
      return v.length > 0 ? v.at(v.length - 1) : new Undef('', 'No last item, sequence was empty.');
    const items = pyIter(v);
    return items.length > 0 ? items[items.length - 1] : new Undef('', 'No last item, sequence was empty.');
  },
  length: (_s, v) => pyLen(v),
  list: (_s, v) => [...pyIter(v)],
  map: (s, v, a, kw) => {
    const items = pyIter(v);
    if (a.length === 0 && Object.hasOwn(kw, 'attribute')) {
      const get = attrGetter(kw.attribute);
      return items.map((x) => {
        const r = get(x);
        return r instanceof Undef && Object.hasOwn(kw, 'default') ? kw.default : r;
      });
    }
    const name = String(a[0]);
    const f = s.filter(name);
    if (!f) throw new JinjaError('TemplateRuntimeError', `No filter named '${name}'.`);
    return items.map((x) => f(s, x, a.slice(1), kw));
  },
  max: (_s, v, a, kw) => minMax(v, a, kw, -1, '>'),
  min: (_s, v, a, kw) => minMax(v, a, kw, 1, '<'),
  random: (_s, v) => {
    // A range is drawn from without listing it: `range(0, 9999999999999) | random` is common.
    const items: { length: number; at(i: number): unknown } = v instanceof PyRange ? v : pyIter(v);
    if (items.length === 0) throw new JinjaError('IndexError', 'Cannot choose from an empty sequence');
    return items.at(Math.floor(Math.random() * items.length));
  },
  reject: (s, v, a, kw) => selectOrReject(s, v, a, kw, false, false),
  rejectattr: (s, v, a, kw) => selectOrReject(s, v, a, kw, false, true),
  reverse: (_s, v) => (typeof v === 'string' ? Array.from(v).reverse().join('') : [...pyIter(v)].reverse()),
  select: (s, v, a, kw) => selectOrReject(s, v, a, kw, true, false),
  selectattr: (s, v, a, kw) => selectOrReject(s, v, a, kw, true, true),
  slice: (_s, v, [n, fill]) => {
    const items = pyIter(v);
    const slices = Number(n);
    const per = Math.floor(items.length / slices);
    const extra = items.length % slices;
    const out: unknown[][] = [];
    let offset = 0;
    for (let i = 0; i < slices; i++) {
      const start = offset + i * per;
      if (i < extra) offset++;
      const part = items.slice(start, offset + (i + 1) * per);
      if (fill !== undefined && fill !== null && i >= extra) part.push(fill);
      out.push(part);
    }
    return out;
  },
  sort: (_s, v, a, kw) => {
    const ck = sortKey(Boolean(argument(a, kw, 1, 'case_sensitive', false)));
    const get = attrGetter(argument(a, kw, 2, 'attribute', null));
    return sortItems(pyIter(v), (x) => ck(get(x)), Boolean(argument(a, kw, 0, 'reverse', false)));
  },
  sum: (_s, v, a, kw) => {
    const get = attrGetter(argument(a, kw, 0, 'attribute', null));
    let acc: unknown = argument(a, kw, 1, 'start', 0);
    for (const x of pyIter(v)) {
      const y = get(x);
      const f = isFloat(acc) || isFloat(y);
      const n = Number(numValue(acc)) + Number(numValue(y));
      acc = f ? mkFloat(n) : n;
    }
    return acc;
  },
  unique: (_s, v, a, kw) => {
    const ck = sortKey(Boolean(argument(a, kw, 0, 'case_sensitive', false)));
    const get = attrGetter(argument(a, kw, 1, 'attribute', null));
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const x of pyIter(v)) {
      const k = ck(get(x));
      if (!seen.some((y) => pyEq(y, k))) {
        seen.push(k);
        out.push(x);
      }
    }
    return out;
  },
};
