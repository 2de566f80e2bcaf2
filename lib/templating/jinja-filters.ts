/**
 * Jinja2's built-in filters, with Jinja's behaviour (not Liquid's), by family (number-filters.ts,
 * text-filters.ts, sequence-filters.ts), and Liquid's names as aliases where they do not clash.
 */
import { argument } from './expr-scope.js';
import type { FilterFn } from './expr-scope.js';
import { NUMBER_FILTERS } from './number-filters.js';
import { getattr } from './py-access.js';
import { pyStr } from './py-repr.js';
import { Undef, isDict, truthy } from './py-values.js';
import { SEQUENCE_FILTERS } from './sequence-filters.js';
import { TEXT_FILTERS } from './text-filters.js';

/** Jinja's built-in filters. */
export const JINJA_FILTERS: Record<string, FilterFn> = {
  ...NUMBER_FILTERS,
  ...TEXT_FILTERS,
  ...SEQUENCE_FILTERS,
  default: (_s, v, a, kw) => {
    const d = argument(a, kw, 0, 'default_value', '');
    if (v instanceof Undef) return d;
    return truthy(argument(a, kw, 1, 'boolean', false)) && !truthy(v) ? d : v;
  },
  attr: (_s, v, [name]) => {
    // Only the attribute, never the item (Jinja's attr filter).
    if (
      isDict(v) &&
      !['items', 'keys', 'values', 'get', 'copy', 'update', 'pop', 'setdefault'].includes(String(name))
    )
      return new Undef(String(name), `'${String(name)}' is undefined (no attribute of dict)`);
    return getattr(v, String(name), String(name));
  },
  // Liquid spellings, so Liquid templates keep working where they do not clash with Jinja.
  downcase: TEXT_FILTERS.lower!,
  upcase: TEXT_FILTERS.upper!,
  size: SEQUENCE_FILTERS.length!,
  strip: (_s, v) => pyStr(v).trim(),
  append: (_s, v, [x]) => pyStr(v) + pyStr(x),
  prepend: (_s, v, [x]) => pyStr(x) + pyStr(v),
  split: (_s, v, [sep]) => pyStr(v).split(pyStr(sep)),
};
JINJA_FILTERS.d = JINJA_FILTERS.default!;
JINJA_FILTERS.e = JINJA_FILTERS.escape!;
