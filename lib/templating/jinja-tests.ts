/** Jinja2's built-in tests (`x is defined`, `n is divisibleby 3`, ...). */
import type { TestFn } from './expr-scope.js';
import { PyRange } from './py-range.js';
import { PyFloat, Undef, isDict, isFloat, isInt, numValue, pyCompare, pyEq, pyIn } from './py-values.js';

const num = (v: unknown): number => Number(numValue(v));

/** The tests, by name. */
export const JINJA_TESTS: Record<string, TestFn> = {
  defined: (_s, v) => !(v instanceof Undef),
  undefined: (_s, v) => v instanceof Undef,
  none: (_s, v) => v === null,
  boolean: (_s, v) => typeof v === 'boolean',
  true: (_s, v) => v === true,
  false: (_s, v) => v === false,
  integer: (_s, v) => isInt(v),
  float: (_s, v) => isFloat(v),
  number: (_s, v) => typeof v === 'number' || v instanceof PyFloat || typeof v === 'boolean',
  string: (_s, v) => typeof v === 'string',
  mapping: (_s, v) => isDict(v),
  sequence: (_s, v) => typeof v === 'string' || Array.isArray(v) || isDict(v) || v instanceof PyRange,
  iterable: (_s, v) => typeof v === 'string' || Array.isArray(v) || isDict(v) || v instanceof PyRange,
  callable: (_s, v) => typeof v === 'function',
  odd: (_s, v) => Math.abs(num(v) % 2) === 1,
  even: (_s, v) => num(v) % 2 === 0,
  divisibleby: (_s, v, [n]) => num(v) % num(n) === 0,
  lower: (_s, v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (_s, v) => typeof v === 'string' && v === v.toUpperCase(),
  sameas: (_s, v, [o]) => v === o || (v === null && o === null),
  escaped: () => false,
  in: (_s, v, [seq]) => pyIn(v, seq),
  eq: (_s, v, [o]) => pyEq(v, o),
  ne: (_s, v, [o]) => !pyEq(v, o),
  lt: (_s, v, [o]) => pyCompare(v, o, '<') < 0,
  le: (_s, v, [o]) => pyCompare(v, o, '<=') <= 0,
  gt: (_s, v, [o]) => pyCompare(v, o, '>') > 0,
  ge: (_s, v, [o]) => pyCompare(v, o, '>=') >= 0,
  filter: (s, v) => typeof v === 'string' && s.filter(v) !== undefined,
  test: (s, v) => typeof v === 'string' && s.test(v) !== undefined,
};
for (const [alias, name] of [
  ['==', 'eq'],
  ['equalto', 'eq'],
  ['!=', 'ne'],
  ['<', 'lt'],
  ['lessthan', 'lt'],
  ['<=', 'le'],
  ['>', 'gt'],
  ['greaterthan', 'gt'],
  ['>=', 'ge'],
] as const)
  JINJA_TESTS[alias] = JINJA_TESTS[name]!;
