/**
 * The state one deploy shares between its steps: options, the result entries keyed by object, the
 * collected errors and warnings, and whether the run was aborted.
 */
import type { Clock, KubeClient, ObjectRef, Progress } from '../ports.js';
import type { ResultObject } from './command-result.js';
import type { DeployOptions, DeployOutcome } from './deploy-types.js';

/** Shared, mutable state of one deploy run. */
export interface DeployContext {
  readonly kube: KubeClient;
  readonly opts: DeployOptions;
  readonly progress: Progress;
  readonly clock: Clock;
  /** Result entries keyed by refKey (rendered, remote, applied, changes, flags). */
  readonly entries: Map<string, ResultObject>;
  readonly out: DeployOutcome;
  /** Set after the first error with `abortOnError`, or by `opts.signal`; nothing new starts afterwards. */
  aborted: boolean;
}

/** Records an error (and aborts with `abortOnError`). */
export function recordError(ctx: DeployContext, ref: ObjectRef, message: string): void {
  ctx.out.errors.push({ ref, message });
  if (ctx.opts.abortOnError) ctx.aborted = true;
}

/** Records a warning. */
export function recordWarning(ctx: DeployContext, ref: ObjectRef, message: string): void {
  ctx.out.warnings.push({ ref, message });
}
