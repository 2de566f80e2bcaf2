/**
 * What compiled expressions evaluate against: the {@link Scope} (variables, filters, tests, the call
 * context) and the signatures of filters and tests.
 */

/** A filter: receives the scope, the input value, positional and keyword arguments. */
export type FilterFn = (
  s: Scope,
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
) => unknown;
/** A test (`x is defined`). */
export type TestFn = (s: Scope, value: unknown, args: unknown[], kwargs: Record<string, unknown>) => boolean;

/** Results of asynchronous calls, replayed when an expression is evaluated again (expr-replay.ts). */
export class AsyncMemo {
  /** Settled results per call site, in the order the site was called. */
  readonly results = new Map<object, unknown[]>();
  /** How often each call site was called in the current pass. */
  counters = new Map<object, number>();
}

/** What expressions evaluate against: variables, filters, tests and the call context. */
export interface Scope {
  lookup(name: string): unknown;
  filter(name: string): FilterFn | undefined;
  test(name: string): TestFn | undefined;
  /** Passed as `this` (and first argument of native functions) to called functions. */
  readonly callContext: unknown;
  /** The memo of the evaluation being replayed; null outside a replay. */
  memo: AsyncMemo | null;
}

/** A compiled expression. */
export type Compiled = (s: Scope) => unknown;

/** A filter's or test's argument: by keyword `name`, else at position `i`, else `dflt` (Python's binding). */
export function argument(
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  i: number,
  name: string,
  dflt: unknown,
): unknown {
  if (Object.hasOwn(kwargs, name)) return kwargs[name];
  return i < args.length ? args[i] : dflt;
}
