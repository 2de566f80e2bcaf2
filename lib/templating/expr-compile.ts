/**
 * Compiles expression trees into closures (`(scope) => value`) once per template, so a cached template
 * renders without re-walking its syntax. Operators are Python's (py-operators.ts); calls and filters
 * go through expr-replay.ts, which handles functions that return promises.
 */
import type { Expr } from './expr-ast.js';
import { callOrReplay } from './expr-replay.js';
import type { Compiled, Scope } from './expr-scope.js';
import { JinjaError } from './jinja-error.js';
import { getattr, getitem, pySlice } from './py-access.js';
import { pyBinaryOp, pyCompareOp, pyUnaryOp } from './py-operators.js';
import { pyStr } from './py-repr.js';
import { PyFloat, Undef, callFunction, defined, truthy, tuple } from './py-values.js';

const TOLERANT_FILTERS = new Set(['default', 'd']);
const TOLERANT_TESTS = new Set(['defined', 'undefined']);

function compileArgs(args: readonly Expr[], kwargs: readonly (readonly [string, Expr])[]) {
  const a = args.map(compileExpr);
  const k = kwargs.map(([n, e]) => [n, compileExpr(e)] as const);
  return (s: Scope): [unknown[], Record<string, unknown>] => {
    const kw: Record<string, unknown> = {};
    for (const [n, f] of k) kw[n] = f(s);
    return [a.map((f) => f(s)), kw];
  };
}

/** Jinja's StrictUndefined: a filter or test fails on an undefined input or argument. */
function checkDefined(input: unknown, args: unknown[], kwargs: Record<string, unknown>): void {
  if (input instanceof Undef) throw input.error();
  for (const v of args) if (v instanceof Undef) throw v.error();
  for (const v of Object.values(kwargs)) if (v instanceof Undef) throw v.error();
}

function compileCall(e: Extract<Expr, { t: 'call' }>): Compiled {
  const fn = compileExpr(e.fn);
  const argv = compileArgs(e.args, e.kwargs);
  const node = {};
  return (s) => {
    const f = fn(s);
    const [args, kwargs] = argv(s);
    return callOrReplay(s, node, () => callFunction(s.callContext, f, args, kwargs));
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
    if (!tolerant) checkDefined(v, args, kwargs);
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
    if (!tolerant) checkDefined(v, args, kwargs);
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
      return (s) => pyBinaryOp(op, l(s), r(s));
    }
    case 'cmp': {
      const first = compileExpr(e.first);
      const ops = e.ops.map(([op, x]) => [op, compileExpr(x)] as const);
      return (s) => {
        let left = first(s);
        for (const [op, f] of ops) {
          const right = f(s);
          if (!pyCompareOp(op, left, right)) return false;
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
      const op = e.t;
      return (s) => pyUnaryOp(op, x(s));
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
