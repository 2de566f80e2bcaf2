/** Jinja's number filters: `abs`, `float`, `int` (Python's int()/float() parsing of strings), `round`. */
import { argument } from './expr-scope.js';
import type { FilterFn } from './expr-scope.js';
import { JinjaError } from './jinja-error.js';
import { pyRound } from './py-string-format.js';
import { PyFloat, isFloat, isInt, mkFloat, numValue, typeName } from './py-values.js';

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

/** The number filters, by name. */
export const NUMBER_FILTERS: Record<string, FilterFn> = {
  abs: (_s, v) => (isFloat(v) ? mkFloat(Math.abs(numValue(v)!)) : Math.abs(Number(numValue(v)))),
  float: (_s, v, a, kw) => toFloat(v, argument(a, kw, 0, 'default', new PyFloat(0))),
  int: (_s, v, a, kw) => toInt(v, argument(a, kw, 0, 'default', 0), Number(argument(a, kw, 1, 'base', 10))),
  round: (_s, v, a, kw) => {
    const p = Number(argument(a, kw, 0, 'precision', 0));
    const method = argument(a, kw, 1, 'method', 'common');
    const x = numValue(v);
    if (x === undefined)
      throw new JinjaError('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
    if (method === 'common') return isInt(v) ? v : mkFloat(pyRound(x, p));
    const f = 10 ** p;
    if (method !== 'ceil' && method !== 'floor')
      throw new JinjaError('TypeError', 'method must be common, ceil or floor');
    return mkFloat(Math[method](x * f) / f);
  },
};
