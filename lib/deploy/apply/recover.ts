/**
 * What happens after a failed server-side apply (kluctl-semantics §7.6): conflicts are resolved field
 * by field (or forced with `--force-apply`) and re-applied with force; other errors fall back to a
 * replace (PUT) with `--replace-on-error`, then to delete and re-create with
 * `--force-replace-on-error`, unless the object is protected by `kluctl.io/skip-delete` or Helm's
 * `resource-policy: keep`.
 */
import { FIELD_MANAGER } from '../../api/constants.js';
import { KubeApiError, kubeErrorText } from '../../errors.js';
import type { KubeObject, ObjectRef } from '../../ports.js';
import { isDeleteProtected } from '../delete-objects.js';
import type { DeployContext } from '../deploy-context.js';
import { recordError, recordWarning } from '../deploy-context.js';
import { kluctlRefString, refKey, refOf } from '../object-ref.js';
import { resolveConflicts } from './conflict-resolution.js';
import { applyState } from './run-state.js';

/** The outcome of a recovery: the object as applied, or undefined after an error was recorded. */
export type Recovered = KubeObject | undefined;

/**
 * A server-side apply, its failure worded as Kluctl words it (`failed to patch <ref>: <API message>`)
 * and keeping the code, status and conflict causes the recovery steps look at.
 */
export async function patchObject(
  ctx: DeployContext,
  obj: KubeObject,
  opts: { force?: boolean; dryRun: boolean },
): Promise<KubeObject> {
  try {
    return await ctx.kube.apply(obj, { fieldManager: FIELD_MANAGER, ...opts });
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    const message = `failed to patch ${kluctlRefString(refOf(obj))}: ${kubeErrorText(err)}`;
    throw new KubeApiError(err.code as 'KubeApi' | 'KubeConflict' | 'KubeNotFound', message, {
      cause: err,
      retryable: err.retryable,
      causes: err.causes,
      ...(err.status !== undefined ? { status: err.status } : {}),
    });
  }
}

/** A failed apply, as each recovery step gets it. */
export interface FailedApply {
  /** The object that was sent (quirks fixed). */
  readonly x: KubeObject;
  /** The live object as it was before the run, if it existed. */
  readonly remote: KubeObject | undefined;
  /** Why the last attempt failed. */
  readonly error: unknown;
}

/** After a 409: resolve the conflicting fields and apply again with force. */
export async function retryWithConflicts(ctx: DeployContext, failed: FailedApply): Promise<Recovered> {
  const { x, remote, error: applyError } = failed;
  const ref = refOf(x);
  if (!remote) return fail(ctx, ref, applyError);
  let x2 = x;
  if (!ctx.opts.forceApply) {
    const causes = applyError instanceof KubeApiError ? applyError.causes : [];
    try {
      const resolved = resolveConflicts(x, remote, causes, applyState(ctx).rules.get(refKey(ref)) ?? []);
      for (const lo of resolved.lostOwnership)
        recordWarning(ctx, ref, `${lo.message}. Not updating field '${lo.field}' as we lost field ownership`);
      x2 = resolved.object;
    } catch (err) {
      return fail(ctx, ref, err);
    }
  }
  return orForceReplace(ctx, failed, () =>
    patchObject(ctx, x2, { force: true, dryRun: ctx.opts.dryRun ?? false }),
  );
}

/** After another apply error: replace (PUT) the live object when asked to. */
export async function retryWithReplace(ctx: DeployContext, failed: FailedApply): Promise<Recovered> {
  const { x, remote, error: applyError } = failed;
  const ref = refOf(x);
  if ((!ctx.opts.replaceOnError && !ctx.opts.forceReplaceOnError) || !remote)
    return fail(ctx, ref, applyError);
  warn(ctx, ref, `patching ${kluctlRefString(ref)} failed, retrying with replace instead of patch`);
  // Kluctl means to replace the version it read before the run (it builds that copy, then sends the
  // unconditioned object); we send it conditioned, so that a concurrent change is not overwritten.
  const x2 = structuredClone(x);
  if (remote.metadata.resourceVersion) x2.metadata.resourceVersion = remote.metadata.resourceVersion;
  return orForceReplace(ctx, failed, () =>
    ctx.kube.update(x2, { fieldManager: FIELD_MANAGER, dryRun: ctx.opts.dryRun ?? false }),
  );
}

/** Runs a retry; when it fails too, the last resort (a forced replace) gets its error. */
async function orForceReplace(
  ctx: DeployContext,
  failed: FailedApply,
  retry: () => Promise<KubeObject>,
): Promise<Recovered> {
  try {
    return await retry();
  } catch (err) {
    return retryWithForceReplace(ctx, { ...failed, error: err });
  }
}

/** Last resort with `--force-replace-on-error`: delete the object and create it again. */
async function retryWithForceReplace(ctx: DeployContext, failed: FailedApply): Promise<Recovered> {
  const { x, remote, error: applyError } = failed;
  const ref = refOf(x);
  if (!ctx.opts.forceReplaceOnError) return fail(ctx, ref, applyError);
  // Kluctl asks the same question as before any deletion (skip-delete, Helm's keep), of both objects.
  if (isDeleteProtected(x) || (remote !== undefined && isDeleteProtected(remote))) {
    warn(ctx, ref, `skipped forced replace of ${kluctlRefString(ref)}`);
    return fail(ctx, ref, applyError);
  }
  warn(ctx, ref, `patching ${kluctlRefString(ref)} failed, retrying by deleting and re-applying`);
  const dryRun = ctx.opts.dryRun ?? false;
  try {
    await ctx.kube.delete(ref, { dryRun });
    const entry = ctx.entries.get(refKey(ref));
    if (entry) entry.deleted = true;
    if (dryRun) return x;
    await waitGone(ctx, ref);
    return await patchObject(ctx, x, { dryRun });
  } catch (err) {
    return fail(ctx, ref, err);
  }
}

/** Waits (up to 30 s) until a deleted object is gone, so that re-creating it does not hit it. */
async function waitGone(ctx: DeployContext, ref: ObjectRef): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (!(await ctx.kube.get(ref))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function warn(ctx: DeployContext, ref: ObjectRef, message: string): void {
  recordWarning(ctx, ref, message);
  ctx.progress.step(`warning: ${message}`);
}

function fail(ctx: DeployContext, ref: ObjectRef, err: unknown): undefined {
  recordError(ctx, ref, kubeErrorText(err));
  return undefined;
}
