/**
 * Asynchronous calls inside synchronous expressions. Compiled expressions are plain closures; when a
 * called function returns a promise (the project's globals do), the evaluation unwinds, the tag's
 * render generator awaits the promise, and the expression is evaluated again from the start with the
 * settled results replayed in call order, so each call site runs once per call it makes.
 */
import { AsyncMemo } from './expr-scope.js';
import type { Compiled, Scope } from './expr-scope.js';

/**
 * Unwinds the synchronous evaluation of an expression when a called function returned a promise.
 * Expressions compile to synchronous closures because almost nothing a template calls is async; only
 * the project's globals (`load_template`, ...) return promises. A result type instead of a throw
 * would put a check after every node of every expression; the throw costs only where a promise is
 * met. {@link evaluate} catches it, awaits the promise and evaluates again; it never leaves this file.
 */
class PendingCall extends Error {
  constructor(
    readonly promise: PromiseLike<unknown>,
    readonly node: object,
  ) {
    super('a template function returned a promise; the expression is evaluated again once it settles');
    this.name = 'PendingCall';
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs the call at `node` (a call site of the compiled expression): in a replay pass the result an
 * earlier pass awaited, else `call()`; a promise unwinds the pass with a {@link PendingCall}.
 */
export function callOrReplay(s: Scope, node: object, call: () => unknown): unknown {
  const memo = s.memo;
  if (memo) {
    const n = memo.counters.get(node) ?? 0;
    memo.counters.set(node, n + 1);
    const done = memo.results.get(node);
    if (done && n < done.length) return done[n];
  }
  const r = call();
  if (isThenable(r)) throw new PendingCall(r, node);
  return r;
}

/**
 * Evaluates a compiled expression in a tag's render generator. When a function returns a promise the
 * generator yields it (the render driver awaits it and sends the result back), memoises the result
 * and evaluates the expression again from the start.
 */
export function* evaluate(f: Compiled, s: Scope): Generator<unknown, unknown, unknown> {
  try {
    return f(s);
  } catch (err) {
    if (!(err instanceof PendingCall)) throw err;
    return yield* replay(f, s, err);
  }
}

function* replay(f: Compiled, s: Scope, first: PendingCall): Generator<unknown, unknown, unknown> {
  const saved = s.memo;
  const memo = new AsyncMemo();
  s.memo = memo;
  let pending = first;
  try {
    for (;;) {
      const value = yield pending.promise;
      const list = memo.results.get(pending.node) ?? [];
      list.push(value);
      memo.results.set(pending.node, list);
      memo.counters = new Map();
      try {
        return f(s);
      } catch (err) {
        if (!(err instanceof PendingCall)) throw err;
        pending = err;
      }
    }
  } finally {
    s.memo = saved;
  }
}
