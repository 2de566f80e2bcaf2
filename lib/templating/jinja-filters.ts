/** Jinja2's built-in filters, with Jinja's behaviour (not Liquid's), and Liquid's names as aliases. */
/* eslint-disable no-control-regex -- Python's whitespace and line-break classes include \x1c-\x1f. */
import type { FilterFn, Scope } from './expr-scope.js';
import { JinjaError } from './jinja-error.js';
import { getattr, getitem, pyCapitalize, pySplitlines, pyTitle } from './py-methods.js';
import { printfFormat, pyRound } from './py-string-format.js';
import { PyRange } from './py-range.js';
import { pyJsonDumps } from './py-json.js';
import { pyRepr, pyStr } from './py-repr.js';
import {
  PyFloat,
  Undef,
  isDict,
  isFloat,
  isInt,
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

type Args = unknown[];
type Kw = Record<string, unknown>;

function arg(args: Args, kw: Kw, i: number, name: string, dflt: unknown): unknown {
  if (Object.hasOwn(kw, name)) return kw[name];
  return i < args.length ? args[i] : dflt;
}

function text(v: unknown): string {
  return pyStr(v);
}

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

function toInt(v: unknown, dflt: unknown, base: number): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = numValue(v);
  if (n !== undefined) return Number.isFinite(n) ? Math.trunc(n) : dflt;
  if (typeof v === 'string') {
    const s = v.trim().replace(/_/g, '');
    if (base !== 10 || /^0[xob]/i.test(s)) {
      const m = /^([-+]?)(?:0[xob])?([0-9a-z]+)$/i.exec(s);
      const b = base !== 10 ? base : /^[-+]?0x/i.test(s) ? 16 : /^[-+]?0o/i.test(s) ? 8 : 2;
      if (m) {
        const r = parseInt(m[2]!, b);
        if (!Number.isNaN(r)) return m[1] === '-' ? -r : r;
      }
    }
    if (/^[-+]?\d+$/.test(s)) return Number(s);
    const f = toFloat(s, null);
    return f === null ? dflt : Math.trunc(numValue(f)!);
  }
  return dflt;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  const n = numValue(v);
  if (n !== undefined) return mkFloat(n);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase().replace(/_/g, '');
    if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/.test(s)) return mkFloat(Number(s));
    if (/^[-+]?(inf|infinity)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    if (/^[-+]?nan$/.test(s)) return NaN;
  }
  return dflt;
}

function indent(s: unknown, width: unknown = 4, first: unknown = false, blank: unknown = false): string {
  const ind = typeof width === 'string' ? width : ' '.repeat(Number(width));
  const lines = pySplitlines(`${text(s)}\n`);
  let rv: string;
  if (truthy(blank)) rv = lines.join(`\n${ind}`);
  else {
    rv = lines.shift() ?? '';
    if (lines.length > 0) rv += `\n${lines.map((l) => (l ? ind + l : l)).join('\n')}`;
  }
  return truthy(first) ? ind + rv : rv;
}

function selectOrReject(
  s: Scope,
  seq: unknown,
  args: Args,
  kw: Kw,
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

function htmlEscape(v: unknown): string {
  return text(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

function minMax(seq: unknown, args: Args, kw: Kw, sign: number, what: string): unknown {
  const items = pyIter(seq);
  if (items.length === 0) return new Undef('', `No aggregated item, sequence was empty.`);
  const key = attrGetter(arg(args, kw, 1, 'attribute', null));
  const ck = sortKey(Boolean(arg(args, kw, 0, 'case_sensitive', false)));
  let best = items[0];
  for (const v of items.slice(1)) if (pyCompare(ck(key(v)), ck(key(best)), what) * sign < 0) best = v;
  return best;
}

function sortItems(items: unknown[], key: (v: unknown) => unknown, reverse: boolean): unknown[] {
  const out = [...items].sort((a, b) => pyCompare(key(a), key(b)));
  return reverse ? out.reverse() : out;
}

/** Jinja's built-in filters. */
export const JINJA_FILTERS: Record<string, FilterFn> = {
  default: (_s, v, a, kw) => {
    const d = arg(a, kw, 0, 'default_value', '');
    if (v instanceof Undef) return d;
    return truthy(arg(a, kw, 1, 'boolean', false)) && !truthy(v) ? d : v;
  },
  abs: (_s, v) => (isFloat(v) ? mkFloat(Math.abs(numValue(v)!)) : Math.abs(Number(numValue(v)))),
  attr: (_s, v, [name]) => {
    // Only the attribute, never the item (Jinja's attr filter).
    if (
      isDict(v) &&
      !['items', 'keys', 'values', 'get', 'copy', 'update', 'pop', 'setdefault'].includes(String(name))
    )
      return new Undef(String(name), `'${String(name)}' is undefined (no attribute of dict)`);
    return getattr(v, String(name), String(name));
  },
  batch: (_s, v, [n, fill]) => {
    const items = pyIter(v);
    const size = Number(n);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    const last = out[out.length - 1];
    if (last && fill !== undefined && fill !== null) while (last.length < size) last.push(fill);
    return out;
  },
  capitalize: (_s, v) => pyCapitalize(text(v)),
  center: (_s, v, [w = 80]) => {
    const s = text(v);
    const n = Number(w) - s.length;
    if (n <= 0) return s;
    const left = Math.floor(n / 2) + (n & Number(w) & 1);
    return ' '.repeat(left) + s + ' '.repeat(n - left);
  },
  count: (_s, v) => pyLen(v),
  dictsort: (_s, v, a, kw) => {
    if (!isDict(v)) throw new JinjaError('TypeError', `dictsort needs a dict, got ${typeName(v)}`);
    const cs = Boolean(arg(a, kw, 0, 'case_sensitive', false));
    const by = arg(a, kw, 1, 'by', 'key');
    const pos = by === 'value' ? 1 : 0;
    const ck = sortKey(cs);
    const pairs = Object.entries(v).map(([k, x]) => tuple([k, x]));
    return sortItems(pairs, (p) => ck((p as unknown[])[pos]), Boolean(arg(a, kw, 2, 'reverse', false)));
  },
  escape: (_s, v) => htmlEscape(v),
  first: (_s, v) => {
    if (v instanceof PyRange)
      return v.length > 0 ? v.at(0) : new Undef('', 'No first item, sequence was empty.');
    const items = pyIter(v);
    return items.length > 0 ? items[0] : new Undef('', 'No first item, sequence was empty.');
  },
  float: (_s, v, a, kw) => toFloat(v, arg(a, kw, 0, 'default', new PyFloat(0))),
  forceescape: (_s, v) => htmlEscape(v),
  format: (_s, v, a, kw) => printfFormat(text(v), Object.keys(kw).length > 0 ? kw : tuple(a)),
  groupby: (_s, v, a, kw) => {
    const key = attrGetter(arg(a, kw, 0, 'attribute', null));
    const dflt = arg(a, kw, 1, 'default', undefined);
    const ck = sortKey(Boolean(arg(a, kw, 2, 'case_sensitive', false)));
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
  indent: (_s, v, a, kw) =>
    indent(v, arg(a, kw, 0, 'width', 4), arg(a, kw, 1, 'first', false), arg(a, kw, 2, 'blank', false)),
  int: (_s, v, a, kw) => toInt(v, arg(a, kw, 0, 'default', 0), Number(arg(a, kw, 1, 'base', 10))),
  items: (_s, v) => (isDict(v) ? Object.entries(v).map(([k, x]) => tuple([k, x])) : []),
  join: (_s, v, a, kw) => {
    const get = attrGetter(arg(a, kw, 1, 'attribute', null));
    return pyIter(v)
      .map((x) => text(get(x)))
      .join(text(arg(a, kw, 0, 'd', '')));
  },
  last: (_s, v) => {
    if (v instanceof PyRange)
      return v.length > 0 ? v.at(v.length - 1) : new Undef('', 'No last item, sequence was empty.');
    const items = pyIter(v);
    return items.length > 0 ? items[items.length - 1] : new Undef('', 'No last item, sequence was empty.');
  },
  length: (_s, v) => pyLen(v),
  list: (_s, v) => [...pyIter(v)],
  lower: (_s, v) => text(v).toLowerCase(),
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
  pprint: (_s, v) => pyRepr(v),
  random: (_s, v) => {
    // A range is drawn from without listing it: `range(0, 9999999999999) | random` is common.
    const items: { length: number; at(i: number): unknown } = v instanceof PyRange ? v : pyIter(v);
    if (items.length === 0) throw new JinjaError('IndexError', 'Cannot choose from an empty sequence');
    return items.at(Math.floor(Math.random() * items.length));
  },
  reject: (s, v, a, kw) => selectOrReject(s, v, a, kw, false, false),
  rejectattr: (s, v, a, kw) => selectOrReject(s, v, a, kw, false, true),
  replace: (_s, v, a, kw) => {
    const s = text(v);
    const from = text(a[0]);
    const to = text(a[1]);
    const count = arg(a, kw, 2, 'count', null);
    if (count === null) return from === '' ? to + Array.from(s).join(to) + to : s.split(from).join(to);
    let n = Number(count);
    return s.split(from).reduce((acc, part, i) => (i === 0 ? part : acc + (n-- > 0 ? to : from) + part), '');
  },
  reverse: (_s, v) => (typeof v === 'string' ? Array.from(v).reverse().join('') : [...pyIter(v)].reverse()),
  round: (_s, v, a, kw) => {
    const p = Number(arg(a, kw, 0, 'precision', 0));
    const method = arg(a, kw, 1, 'method', 'common');
    const x = numValue(v);
    if (x === undefined)
      throw new JinjaError('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
    if (method === 'common') return isInt(v) ? v : mkFloat(pyRound(x, p));
    const f = 10 ** p;
    if (method !== 'ceil' && method !== 'floor')
      throw new JinjaError('TypeError', 'method must be common, ceil or floor');
    return mkFloat(Math[method](x * f) / f);
  },
  safe: (_s, v) => text(v),
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
    const ck = sortKey(Boolean(arg(a, kw, 1, 'case_sensitive', false)));
    const get = attrGetter(arg(a, kw, 2, 'attribute', null));
    return sortItems(pyIter(v), (x) => ck(get(x)), Boolean(arg(a, kw, 0, 'reverse', false)));
  },
  string: (_s, v) => text(v),
  striptags: (_s, v) =>
    text(v)
      .replace(/<!--.*?-->|<[^>]*>/gs, '')
      .replace(/\s+/g, ' ')
      .trim(),
  sum: (_s, v, a, kw) => {
    const get = attrGetter(arg(a, kw, 0, 'attribute', null));
    let acc: unknown = arg(a, kw, 1, 'start', 0);
    for (const x of pyIter(v)) {
      const y = get(x);
      const f = isFloat(acc) || isFloat(y);
      const n = Number(numValue(acc)) + Number(numValue(y));
      acc = f ? mkFloat(n) : n;
    }
    return acc;
  },
  title: (_s, v) => pyTitle(text(v)),
  tojson: (_s, v, a, kw) => {
    const ind = arg(a, kw, 0, 'indent', null);
    return pyJsonDumps(v, { sortKeys: true, ...(ind === null ? {} : { indent: Number(ind) }) })
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027');
  },
  trim: (_s, v, [chars]) => {
    const s = text(v);
    if (chars === undefined || chars === null)
      return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, '');
    const set = text(chars);
    let a = 0;
    let b = s.length;
    while (a < b && set.includes(s[a]!)) a++;
    while (b > a && set.includes(s[b - 1]!)) b--;
    return s.slice(a, b);
  },
  truncate: (_s, v, a, kw) => {
    const s = text(v);
    const length = Number(arg(a, kw, 0, 'length', 255));
    const killwords = truthy(arg(a, kw, 1, 'killwords', false));
    const end = text(arg(a, kw, 2, 'end', '...'));
    const leeway = Number(arg(a, kw, 3, 'leeway', 5));
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const i = cut.lastIndexOf(' ');
    return (i >= 0 ? cut.slice(0, i) : cut) + end;
  },
  unique: (_s, v, a, kw) => {
    const ck = sortKey(Boolean(arg(a, kw, 0, 'case_sensitive', false)));
    const get = attrGetter(arg(a, kw, 1, 'attribute', null));
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
  upper: (_s, v) => text(v).toUpperCase(),
  urlencode: (_s, v) =>
    isDict(v)
      ? Object.entries(v)
          .map(([k, x]) => `${encodeURIComponent(k)}=${encodeURIComponent(text(x))}`)
          .join('&')
      : encodeURIComponent(text(v)).replace(/%2F/g, '/'),
  wordcount: (_s, v) => (text(v).match(/\w+/gu) ?? []).length,
  // Liquid spellings, so Liquid templates keep working where they do not clash with Jinja.
  downcase: (_s, v) => text(v).toLowerCase(),
  upcase: (_s, v) => text(v).toUpperCase(),
  size: (_s, v) => pyLen(v),
  strip: (_s, v) => text(v).trim(),
  append: (_s, v, [x]) => text(v) + text(x),
  prepend: (_s, v, [x]) => text(x) + text(v),
  split: (_s, v, [sep]) => text(v).split(text(sep)),
};
JINJA_FILTERS.d = JINJA_FILTERS.default!;
JINJA_FILTERS.e = JINJA_FILTERS.escape!;
