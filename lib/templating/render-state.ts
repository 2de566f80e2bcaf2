/**
 * The state of one render call: the variable frames (`set` at top level, loop bodies), the globals
 * of the call and of the engine, filters and tests. It is the {@link Scope} expressions evaluate in.
 */
import type { AsyncMemo, FilterFn, Scope, TestFn } from './expr-scope.js';
import type { NativeCallContext } from './kluctl-functions.js';
import { Undef } from './py-values.js';

/** Everything the engine shares between render calls. */
export interface EngineShared {
  readonly filters: Readonly<Record<string, FilterFn>>;
  readonly tests: Readonly<Record<string, TestFn>>;
  readonly globals: Readonly<Record<string, unknown>>;
  renderNested(text: string, vars: Record<string, unknown>, state: RenderState): unknown;
  debugPrint(msg: string): void;
}

/** The variables and helpers of one render call. */
export class RenderState implements Scope, NativeCallContext {
  /** Frame 0 holds top-level `set` variables; loop bodies push frames above it. */
  private readonly frames: Record<string, unknown>[] = [{}];
  memo: AsyncMemo | null = null;
  readonly callContext: this;

  constructor(
    readonly shared: EngineShared,
    readonly vars: Readonly<Record<string, unknown>>,
    readonly callGlobals: Readonly<Record<string, unknown>> | undefined,
  ) {
    this.callContext = this;
  }

  lookup(name: string): unknown {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i]!;
      if (Object.hasOwn(f, name)) return f[name];
    }
    if (this.callGlobals && Object.hasOwn(this.callGlobals, name)) return this.callGlobals[name];
    if (Object.hasOwn(this.vars, name)) return this.vars[name];
    if (Object.hasOwn(this.shared.globals, name)) return this.shared.globals[name];
    return new Undef(name);
  }

  filter(name: string): FilterFn | undefined {
    return Object.hasOwn(this.shared.filters, name) ? this.shared.filters[name] : undefined;
  }

  test(name: string): TestFn | undefined {
    return Object.hasOwn(this.shared.tests, name) ? this.shared.tests[name] : undefined;
  }

  /** Assigns in the innermost frame (Jinja's scoping: a `set` inside a loop stays in the loop). */
  assign(name: string, value: unknown): void {
    this.frames[this.frames.length - 1]![name] = value;
  }

  /** Enters a loop body frame. */
  push(frame: Record<string, unknown>): void {
    this.frames.push(frame);
  }

  /** Leaves a loop body frame. */
  pop(): void {
    this.frames.pop();
  }

  /** Kluctl's `ctx.get_all()`: globals, vars and top-level `set` variables (not loop variables). */
  allVars(): Record<string, unknown> {
    return { ...this.shared.globals, ...this.vars, ...(this.callGlobals ?? {}), ...this.frames[0] };
  }

  renderString(text: string, vars: Record<string, unknown>): unknown {
    return this.shared.renderNested(text, vars, this);
  }

  debugPrint(msg: string): void {
    this.shared.debugPrint(msg);
  }
}
