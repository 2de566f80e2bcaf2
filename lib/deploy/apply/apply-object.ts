/**
 * Applies one object as Kluctl does (kluctl-semantics §7.6): fix defaulting quirks, server-side apply
 * with field manager `kluctl` (no force on the first attempt, dryRun=All in dry runs), then recover
 * from errors: unknown kinds (dry-run simulation of CRDs applied earlier, or one retry with fresh
 * discovery), conflicts (field-wise resolution, then a forced apply) and other errors (replace, then
 * delete and re-create, when asked to). The outcome lands in the run's result entry: the applied
 * object, `new`, or the changes against the object as it was before the run.
 */
import { KubeApiError, kubeErrorText } from '../../errors.js';
import type { KubeObject } from '../../ports.js';
import { observeApplied, planDryRun, servedByAppliedCrd, undoDummyName } from './dry-run.js';
import { fixObjectForApply } from './fix-object-for-apply.js';
import { patchObject, retryWithConflicts, retryWithReplace } from './recover.js';
import type { Recovered } from './recover.js';
import { applyState } from './run-state.js';
import { computeChanges } from '../changes.js';
import type { ResultObject } from '../command-result.js';
import type { DeployContext } from '../deploy-context.js';
import { recordError, recordWarning } from '../deploy-context.js';
import { kluctlRefString, refKey, refOf } from '../object-ref.js';

/** Options of {@link applyObject}. */
export interface ApplyObjectOptions {
  /** The object was deleted earlier in this run (hooks, force-replace): simulate a re-create in dry runs. */
  readonly replaced?: boolean;
}

/** Applies `obj`; failures become error entries of the run. Returns the applied object, if any. */
export async function applyObject(
  ctx: DeployContext,
  obj: KubeObject,
  opts: ApplyObjectOptions = {},
): Promise<KubeObject | undefined> {
  if (ctx.aborted) return undefined;
  const ref = refOf(obj);
  let entry = ctx.entries.get(refKey(ref));
  if (!entry) {
    entry = { ref, rendered: obj };
    ctx.entries.set(refKey(ref), entry);
  }
  const ruleError = applyState(ctx).ruleErrors.get(refKey(ref));
  if (ruleError !== undefined) {
    recordError(ctx, ref, ruleError);
    return undefined;
  }
  // Unchanged since the last run that saw it match: the live object stands for the applied one.
  const remote = entry.remote;
  const skipVersion = ctx.opts.skipResourceVersions?.get(refKey(ref));
  if (remote && skipVersion !== undefined && remote.metadata.resourceVersion === skipVersion) {
    recordApplied(ctx, entry, remote);
    return remote;
  }
  try {
    const applied = await applyWithRecovery(ctx, fixObjectForApply(obj), entry, opts.replaced ?? false);
    if (applied) recordApplied(ctx, entry, applied);
    return applied;
  } catch (err) {
    recordError(ctx, ref, kubeErrorText(err));
    return undefined;
  }
}

async function applyWithRecovery(
  ctx: DeployContext,
  x: KubeObject,
  entry: ResultObject,
  replaced: boolean,
): Promise<Recovered> {
  const remote = entry.remote;
  const dryRun = ctx.opts.dryRun ?? false;
  const plan = await planDryRun(ctx, x, { replaced, hasRemote: remote !== undefined });
  const send = async (): Promise<KubeObject> => {
    const r = await patchObject(ctx, plan.obj, { dryRun });
    return plan.dummyName ? undoDummyName(r, plan.dummyName, x) : r;
  };
  let firstError: unknown;
  try {
    return await send();
  } catch (err) {
    firstError = err;
  }
  if (isUnknownKind(firstError)) return retryUnknownKind(ctx, x, send, firstError);
  if (firstError instanceof KubeApiError && firstError.code === 'KubeConflict')
    return retryWithConflicts(ctx, { x, remote, error: firstError });
  return retryWithReplace(ctx, { x, remote, error: firstError });
}

/** Unknown kind: no resource serves it (NoMatch) or the cached discovery pointed to a gone resource. */
function isUnknownKind(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 'KubeNotFound';
}

async function retryUnknownKind(
  ctx: DeployContext,
  x: KubeObject,
  send: () => Promise<KubeObject>,
  err: unknown,
): Promise<Recovered> {
  const ref = refOf(x);
  if (ctx.opts.dryRun) {
    if (!servedByAppliedCrd(ctx, x)) throw err;
    recordWarning(
      ctx,
      ref,
      `the underyling custom resource definition for ${kluctlRefString(ref)} has not been applied yet as Kluctl is running in dry-run mode. It is not guaranteed that the object will actually sucessfully apply`,
    );
    return x;
  }
  // The CRD may have appeared since discovery was read: retry once per group with fresh discovery.
  const state = applyState(ctx);
  if (state.rediscovered.has(ref.group)) {
    if (!(await ctx.kube.resolve(x.apiVersion, x.kind))) throw err;
  } else {
    state.rediscovered.add(ref.group);
    ctx.kube.invalidateDiscovery();
  }
  // A CRD applied moments ago in this run is served only once it is established: give it a moment
  // (beyond Kluctl, whose single retry can fail on a busy API server).
  if (servedByAppliedCrd(ctx, x)) {
    for (let i = 0; i < 40 && !(await ctx.kube.resolve(x.apiVersion, x.kind)); i++)
      await new Promise((r) => setTimeout(r, 250));
  }
  return send();
}

function recordApplied(ctx: DeployContext, entry: ResultObject, applied: KubeObject): void {
  observeApplied(ctx, applied);
  entry.applied = applied;
  if (entry.remote) {
    const changes = computeChanges(entry.remote, applied);
    if (changes.length > 0) entry.changes = changes;
  } else {
    entry.new = true;
  }
}
