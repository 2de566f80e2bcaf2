/** Jinja's string filters (case, padding, escaping, formatting, `tojson`, ...), with Jinja's behaviour. */
/* eslint-disable no-control-regex -- Python's whitespace and line-break classes include \x1c-\x1f. */
import { argument } from './expr-scope.js';
import type { FilterFn } from './expr-scope.js';
import { pyJsonDumps } from './py-json.js';
import { pyCapitalize, pySplitlines, pyTitle } from './py-methods.js';
import { pyRepr, pyStr } from './py-repr.js';
import { printfFormat } from './py-string-format.js';
import { isDict, truthy, tuple } from './py-values.js';

function indent(s: unknown, width: unknown = 4, first: unknown = false, blank: unknown = false): string {
  const ind = typeof width === 'string' ? width : ' '.repeat(Number(width));
  const lines = pySplitlines(`${pyStr(s)}\n`);
  let rv: string;
  if (truthy(blank)) rv = lines.join(`\n${ind}`);
  else {
    rv = lines.shift() ?? '';
    if (lines.length > 0) rv += `\n${lines.map((l) => (l ? ind + l : l)).join('\n')}`;
  }
  return truthy(first) ? ind + rv : rv;
}

function htmlEscape(v: unknown): string {
  return pyStr(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;');
}

/** The string filters, by name. */
export const TEXT_FILTERS: Record<string, FilterFn> = {
  capitalize: (_s, v) => pyCapitalize(pyStr(v)),
  center: (_s, v, [w = 80]) => {
    const s = pyStr(v);
    const n = Number(w) - s.length;
    if (n <= 0) return s;
    const left = Math.floor(n / 2) + (n & Number(w) & 1);
    return ' '.repeat(left) + s + ' '.repeat(n - left);
  },
  escape: (_s, v) => htmlEscape(v),
  forceescape: (_s, v) => htmlEscape(v),
  format: (_s, v, a, kw) => printfFormat(pyStr(v), Object.keys(kw).length > 0 ? kw : tuple(a)),
  indent: (_s, v, a, kw) =>
    indent(
      v,
      argument(a, kw, 0, 'width', 4),
      argument(a, kw, 1, 'first', false),
      argument(a, kw, 2, 'blank', false),
    ),
  lower: (_s, v) => pyStr(v).toLowerCase(),
  pprint: (_s, v) => pyRepr(v),
  replace: (_s, v, a, kw) => {
    const s = pyStr(v);
    const from = pyStr(a[0]);
    const to = pyStr(a[1]);
    const count = argument(a, kw, 2, 'count', null);
    if (count === null) return from === '' ? to + Array.from(s).join(to) + to : s.split(from).join(to);
    let n = Number(count);
    return s.split(from).reduce((acc, part, i) => (i === 0 ? part : acc + (n-- > 0 ? to : from) + part), '');
  },
  safe: (_s, v) => pyStr(v),
  string: (_s, v) => pyStr(v),
  striptags: (_s, v) =>
    pyStr(v)
      .replace(/<!--.*?-->|<[^>]*>/gs, '')
      .replace(/\s+/g, ' ')
      .trim(),
  title: (_s, v) => pyTitle(pyStr(v)),
  tojson: (_s, v, a, kw) => {
    const ind = argument(a, kw, 0, 'indent', null);
    return pyJsonDumps(v, { sortKeys: true, ...(ind === null ? {} : { indent: Number(ind) }) })
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/'/g, '\\u0027');
  },
  trim: (_s, v, [chars]) => {
    const s = pyStr(v);
    if (chars === undefined || chars === null)
      return s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, '');
    const set = pyStr(chars);
    let a = 0;
    let b = s.length;
    while (a < b && set.includes(s[a]!)) a++;
    while (b > a && set.includes(s[b - 1]!)) b--;
    return s.slice(a, b);
  },
  truncate: (_s, v, a, kw) => {
    const s = pyStr(v);
    const length = Number(argument(a, kw, 0, 'length', 255));
    const killwords = truthy(argument(a, kw, 1, 'killwords', false));
    const end = pyStr(argument(a, kw, 2, 'end', '...'));
    const leeway = Number(argument(a, kw, 3, 'leeway', 5));
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const i = cut.lastIndexOf(' ');
    return (i >= 0 ? cut.slice(0, i) : cut) + end;
  },
  upper: (_s, v) => pyStr(v).toUpperCase(),
  urlencode: (_s, v) =>
    isDict(v)
      ? Object.entries(v)
          .map(([k, x]) => `${encodeURIComponent(k)}=${encodeURIComponent(pyStr(x))}`)
          .join('&')
      : encodeURIComponent(pyStr(v)).replace(/%2F/g, '/'),
  wordcount: (_s, v) => (pyStr(v).match(/\w+/gu) ?? []).length,
};
