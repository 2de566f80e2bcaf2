/**
 * Python's `range` object. Kluctl's Jinja runs unsandboxed, so `range()` is lazy and has no size limit:
 * `range(0, 9999999999999) | random` draws a number without building a list. Length, indexing,
 * slicing, `in`, `first`, `last` and `random` are computed; only uses that need every item (`list`,
 * `join`, a `for` loop, ...) build them, up to {@link MAX_RANGE_ITEMS}.
 */
import { JinjaError } from './jinja-error.js';

/** How many items of a range are built at most when a use needs them all (Python runs out of memory). */
const MAX_RANGE_ITEMS = 10_000_000;

/** `range(start, stop, step)` with Python's semantics (integers, step not zero). */
export class PyRange {
  /** Number of items, as Python's len(). */
  readonly length: number;

  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {
    const span = step > 0 ? stop - start : start - stop;
    this.length = span <= 0 ? 0 : Math.ceil(span / Math.abs(step));
  }

  /** The item at a non-negative index below `length`. */
  at(i: number): number {
    return this.start + i * this.step;
  }

  /** Whether the integer `n` is one of the items (Python's `n in range(...)`, without iterating). */
  has(n: number): boolean {
    if (!Number.isInteger(n)) return false;
    const inBounds = this.step > 0 ? n >= this.start && n < this.stop : n <= this.start && n > this.stop;
    return inBounds && (n - this.start) % this.step === 0;
  }

  /** The items as a list; fails clearly where Python would exhaust memory. */
  toArray(): number[] {
    if (this.length > MAX_RANGE_ITEMS)
      throw new JinjaError(
        'MemoryError',
        `${String(this)} has ${this.length} items, too many to list (at most ${MAX_RANGE_ITEMS}); ` +
          'length, indexing, in, first, last and random work on ranges of any size',
      );
    return Array.from({ length: this.length }, (_v, i) => this.at(i));
  }

  /** `range[a:b:c]`: a range again, as in Python. */
  slice(start: number | null, stop: number | null, step: number | null): PyRange {
    const st = step ?? 1;
    if (st === 0) throw new JinjaError('ValueError', 'slice step cannot be zero');
    const len = this.length;
    const norm = (v: number | null, dflt: number, lo: number, hi: number): number => {
      if (v === null) return dflt;
      return Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
    };
    const [a, b] =
      st > 0
        ? [norm(start, 0, 0, len), norm(stop, len, 0, len)]
        : [norm(start, len - 1, -1, len - 1), norm(stop, -1, -1, len - 1)];
    return new PyRange(this.at(a), this.at(b), this.step * st);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /** Python's repr: `range(0, 3)`, with the step only when it is not 1. */
  toString(): string {
    return this.step === 1
      ? `range(${this.start}, ${this.stop})`
      : `range(${this.start}, ${this.stop}, ${this.step})`;
  }
}
