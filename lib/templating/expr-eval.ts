/**
 * Compiles expression trees into closures (`(scope) => value`) once per template, so a cached template
 * renders without re-walking its syntax. Operators follow Python's semantics; functions may return
 * promises (the project globals do): the call then throws a {@link PendingCall}, and {@link evaluate}
 * awaits the promise and evaluates again with the result memoised.
 */
import type { BinOp, CmpOp, Expr } from './expr-ast.js';
import { JinjaError } from './jinja-error.js';
import { getattr, getitem, pySlice } from './py-methods.js';
import { printfFormat } from './py-string-format.js';
import { pyStr } from './py-repr.js';
import {
  PyFloat,
  TUPLES,
  Undef,
  defined,
  isFloat,
  isInt,
  mkFloat,
  numValue,
  pyCompare,
  pyEq,
  pyIn,
  truthy,
  tuple,
  typeName,
} from './py-values.js';
import type { JinjaCallable } from './py-values.js';

/** A filter: receives the scope, the input value, positional and keyword arguments. */
export type FilterFn = (
  s: Scope,
  value: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
) => unknown;
/** A test (`x is defined`). */
export type TestFn = (s: Scope, value: unknown, args: unknown[], kwargs: Record<string, unknown>) => boolean;

/** Results of asynchronous calls, replayed when an expression is evaluated again. */
export class AsyncMemo {
  /** Settled results per call site, in the order the site was called. */
  readonly results = new Map<object, unknown[]>();
  /** How often each call site was called in the current pass. */
  counters = new Map<object, number>();
}

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

/** What expressions evaluate against: variables, filters, tests and the call context. */
export interface Scope {
  lookup(name: string): unknown;
  filter(name: string): FilterFn | undefined;
  test(name: string): TestFn | undefined;
  /** Passed as `this` (and first argument of native functions) to called functions. */
  readonly callContext: unknown;
  memo: AsyncMemo | null;
}

/** A compiled expression. */
export type Compiled = (s: Scope) => unknown;

const TOLERANT_FILTERS = new Set(['default', 'd']);
const TOLERANT_TESTS = new Set(['defined', 'undefined']);

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/** Calls a template-visible function with Jinja's arguments. */
export function callFunction(
  s: Scope,
  fn: unknown,
  args: unknown[],
  kwargs: Record<string, unknown>,
): unknown {
  if (fn instanceof Undef) throw fn.error();
  if (typeof fn !== 'function') throw new JinjaError('TypeError', `'${typeName(fn)}' object is not callable`);
  const native = (fn as JinjaCallable).jinjaNative;
  if (native) return native(s.callContext, args, kwargs);
  const all = Object.keys(kwargs).length > 0 ? [...args, kwargs] : args;
  return (fn as (...a: unknown[]) => unknown).apply(s.callContext, all);
}

function num(v: unknown, op: string, other: unknown): number {
  const n = numValue(v);
  if (n === undefined) {
    defined(v);
    defined(other);
    throw new JinjaError(
      'TypeError',
      `unsupported operand type(s) for ${op}: '${typeName(v)}' and '${typeName(other)}'`,
    );
  }
  return n;
}

function arith(op: BinOp, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b) && TUPLES.has(a) === TUPLES.has(b)) {
      const r = [...a, ...b];
      return TUPLES.has(a) ? tuple(r) : r;
    }
    const custom = (a as { pyAdd?: (o: unknown) => unknown } | null)?.pyAdd;
    if (typeof custom === 'function') return custom.call(a, b);
  }
  if (op === '-') {
    const custom = (a as { pySub?: (o: unknown) => unknown } | null)?.pySub;
    if (typeof custom === 'function') return custom.call(a, b);
  }
  if (op === '*') {
    if ((typeof a === 'string' || Array.isArray(a)) && isInt(b)) return repeat(a, b);
    if ((typeof b === 'string' || Array.isArray(b)) && isInt(a)) return repeat(b, a);
  }
  if (op === '%' && typeof a === 'string') return printfFormat(a, b);
  const x = num(a, op, b);
  const y = num(b, op, a);
  const float = isFloat(a) || isFloat(b);
  const res = (n: number): unknown => (float ? mkFloat(n) : n);
  switch (op) {
    case '+':
      return res(x + y);
    case '-':
      return res(x - y);
    case '*':
      return res(x * y);
    case '/':
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'division by zero');
      return mkFloat(x / y);
    case '//':
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'integer division or modulo by zero');
      return res(Math.floor(x / y));
    case '%': {
      if (y === 0) throw new JinjaError('ZeroDivisionError', 'integer modulo by zero');
      const m = x % y;
      return res(m !== 0 && m < 0 !== y < 0 ? m + y : m);
    }
    default: {
      if (!float && y < 0) return mkFloat(x ** y);
      return res(x ** y);
    }
  }
}

function repeat(v: string | readonly unknown[], n: number): unknown {
  if (typeof v === 'string') return n > 0 ? v.repeat(n) : '';
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...v);
  return TUPLES.has(v) ? tuple(out) : out;
}

function compare(op: CmpOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return pyEq(defined(a), defined(b));
    case '!=':
      return !pyEq(defined(a), defined(b));
    case 'in':
      return pyIn(a, b);
    case 'notin':
      return !pyIn(a, b);
    case '<':
      return pyCompare(a, b, op) < 0;
    case '<=':
      return pyCompare(a, b, op) <= 0;
    case '>':
      return pyCompare(a, b, op) > 0;
    default:
      return pyCompare(a, b, op) >= 0;
  }
}

function compileArgs(args: readonly Expr[], kwargs: readonly (readonly [string, Expr])[]) {
  const a = args.map(compileExpr);
  const k = kwargs.map(([n, e]) => [n, compileExpr(e)] as const);
  return (s: Scope): [unknown[], Record<string, unknown>] => {
    const kw: Record<string, unknown> = {};
    for (const [n, f] of k) kw[n] = f(s);
    return [a.map((f) => f(s)), kw];
  };
}

function checkDefined(args: unknown[], kwargs: Record<string, unknown>): void {
  for (const v of args) if (v instanceof Undef) throw v.error();
  for (const v of Object.values(kwargs)) if (v instanceof Undef) throw v.error();
}

/**
 * Runs the call at `node` (a call site of the compiled expression): in a replay pass the result an
 * earlier pass awaited, else `call()`; a promise unwinds the pass with a {@link PendingCall}.
 */
function callOrReplay(s: Scope, node: object, call: () => unknown): unknown {
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

function compileCall(e: Extract<Expr, { t: 'call' }>): Compiled {
  const fn = compileExpr(e.fn);
  const argv = compileArgs(e.args, e.kwargs);
  const node = {};
  return (s) => {
    const f = fn(s);
    const [args, kwargs] = argv(s);
    return callOrReplay(s, node, () => callFunction(s, f, args, kwargs));
  };
}

function compileFilter(e: Extract<Expr, { t: 'filter' }>): Compiled {
  const input = compileExpr(e.input);
  const argv = compileArgs(e.args, e.kwargs);
  const tolerant = TOLERANT_FILTERS.has(e.name);
  const name = e.name;
  const node = {};
  return (s) => {
    const f = s.filter(name);
    if (!f) throw new JinjaError('TemplateAssertionError', `No filter named '${name}'.`);
    const v = input(s);
    const [args, kwargs] = argv(s);
    if (!tolerant) {
      if (v instanceof Undef) throw v.error();
      checkDefined(args, kwargs);
    }
    return callOrReplay(s, node, () => f(s, v, args, kwargs));
  };
}

function compileTest(e: Extract<Expr, { t: 'test' }>): Compiled {
  const input = compileExpr(e.input);
  const argv = compileArgs(e.args, e.kwargs);
  const { name, negate } = e;
  const tolerant = TOLERANT_TESTS.has(name);
  return (s) => {
    const t = s.test(name);
    if (!t) throw new JinjaError('TemplateAssertionError', `No test named '${name}'.`);
    const v = input(s);
    const [args, kwargs] = argv(s);
    if (!tolerant) {
      if (v instanceof Undef) throw v.error();
      checkDefined(args, kwargs);
    }
    return t(s, v, args, kwargs) !== negate;
  };
}

/** Compiles an expression tree into a closure. */
export function compileExpr(e: Expr): Compiled {
  switch (e.t) {
    case 'const': {
      const v = e.v;
      return () => v;
    }
    case 'name': {
      const name = e.name;
      return (s) => s.lookup(name);
    }
    case 'getattr': {
      const obj = compileExpr(e.obj);
      const { attr, path } = e;
      return (s) => getattr(obj(s), attr, path);
    }
    case 'getitem': {
      const obj = compileExpr(e.obj);
      const key = compileExpr(e.key);
      const path = e.path;
      return (s) => getitem(obj(s), defined(key(s)), path);
    }
    case 'slice': {
      const [obj, a, b, c] = [e.obj, e.start, e.stop, e.step].map((x) =>
        x ? compileExpr(x) : () => null,
      ) as Compiled[];
      return (s) => pySlice(defined(obj!(s)), a!(s), b!(s), c!(s));
    }
    case 'call':
      return compileCall(e);
    case 'filter':
      return compileFilter(e);
    case 'test':
      return compileTest(e);
    case 'list':
    case 'tuple': {
      const items = e.items.map(compileExpr);
      return e.t === 'list' ? (s) => items.map((f) => f(s)) : (s) => tuple(items.map((f) => f(s)));
    }
    case 'dict': {
      const pairs = e.pairs.map(([k, v]) => [compileExpr(k), compileExpr(v)] as const);
      return (s) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of pairs) out[dictKey(k(s))] = v(s);
        return out;
      };
    }
    case 'bin': {
      const [l, r, op] = [compileExpr(e.l), compileExpr(e.r), e.op];
      return (s) => arith(op, l(s), r(s));
    }
    case 'cmp': {
      const first = compileExpr(e.first);
      const ops = e.ops.map(([op, x]) => [op, compileExpr(x)] as const);
      return (s) => {
        let left = first(s);
        for (const [op, f] of ops) {
          const right = f(s);
          if (!compare(op, left, right)) return false;
          left = right;
        }
        return true;
      };
    }
    case 'and': {
      const [l, r] = [compileExpr(e.l), compileExpr(e.r)];
      return (s) => {
        const a = l(s);
        return truthy(a) ? r(s) : a;
      };
    }
    case 'or': {
      const [l, r] = [compileExpr(e.l), compileExpr(e.r)];
      return (s) => {
        const a = l(s);
        return truthy(a) ? a : r(s);
      };
    }
    case 'not': {
      const x = compileExpr(e.x);
      return (s) => !truthy(x(s));
    }
    case 'neg':
    case 'pos': {
      const x = compileExpr(e.x);
      const sign = e.t === 'neg' ? -1 : 1;
      return (s) => {
        const v = x(s);
        const n = num(v, e.t === 'neg' ? 'unary -' : 'unary +', v);
        return isFloat(v) ? mkFloat(sign * n) : typeof v === 'boolean' ? sign * n : sign * n || 0;
      };
    }
    case 'cond': {
      const [test, then] = [compileExpr(e.test), compileExpr(e.then)];
      const els = e.else ? compileExpr(e.else) : null;
      return (s) => (truthy(test(s)) ? then(s) : els ? els(s) : '');
    }
  }
}

function dictKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (k instanceof PyFloat) return String(k.v);
  return pyStr(defined(k));
}

/**
 * Evaluates a compiled expression in a tag's render generator. When a function returns a promise the
 * generator yields it (the render driver awaits it and sends the result back), memoises the result
 * and evaluates the expression again from the start; earlier results are replayed in call order, so
 * each call site runs once per call it makes.
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
