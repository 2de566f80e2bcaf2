/**
 * Runs one set of hooks of an item (kluctl-semantics §6.3): hooks with `before-hook-creation` are
 * deleted first, then each hook is applied in weight order and, with `hook-wait`, waited for; at the
 * end, in reverse order, hooks are deleted whose outcome matches `hook-succeeded` or `hook-failed`.
 */
import { errorMessage } from '../../errors.js';
import { applyObject } from '../apply/apply-object.js';
import type { DeployContext } from '../deploy-context.js';
import { recordError, recordWarning } from '../deploy-context.js';
import { refKey, refOf, refString } from '../object-ref.js';
import { waitForReadiness } from '../wait-readiness.js';
import type { Hook } from './hook-annotations.js';
import { deleteAndWait } from './item-deletions.js';

/** Kluctl's CLI default for `--readiness-timeout`. */
const DEFAULT_READINESS_TIMEOUT_MS = 5 * 60_000;

/** Runs `hooks` (already selected and sorted); nothing happens once the run is aborted. */
export async function runHooks(ctx: DeployContext, hooks: readonly Hook[]): Promise<void> {
  if (hooks.length === 0 || ctx.aborted) return;
  const deleteFirst = hooks.filter((h) => h.deletePolicies.has('before-hook-creation'));
  if (deleteFirst.length > 0) ctx.progress.step(`Deleting ${deleteFirst.length} hooks before hook execution`);
  for (const [i, h] of deleteFirst.entries()) await deleteHook(ctx, h, i, deleteFirst.length);

  ctx.progress.step(`Applying ${hooks.length} hooks`);
  const outcome = new Map<Hook, boolean>();
  for (const [i, h] of hooks.entries()) {
    ctx.progress.step(`Applying hook ${refString(refOf(h.object))} (${i + 1} of ${hooks.length})`);
    if (!(await applyHook(ctx, h))) continue;
    if (!h.wait || ctx.opts.noWait) continue;
    outcome.set(h, await waitHook(ctx, h));
  }

  const deleteAfter = [...hooks].reverse().filter((h) => {
    const ready = outcome.get(h);
    if (ready === undefined) return false;
    return h.deletePolicies.has(ready ? 'hook-succeeded' : 'hook-failed');
  });
  if (deleteAfter.length > 0) ctx.progress.step(`Deleting ${deleteAfter.length} hooks after hook execution`);
  for (const [i, h] of deleteAfter.entries()) await deleteHook(ctx, h, i, deleteAfter.length);
}

/** Applies a hook and marks its result entry; false when the apply failed or did not happen. */
async function applyHook(ctx: DeployContext, h: Hook): Promise<boolean> {
  const ref = refOf(h.object);
  const key = refKey(ref);
  let entry = ctx.entries.get(key);
  if (!entry) {
    entry = { ref, rendered: h.object };
    ctx.entries.set(key, entry);
  }
  // A hook may run twice in one deploy (pre and post); only this apply's outcome counts.
  const previous = entry.applied;
  delete entry.applied;
  await applyObject(ctx, h.object);
  entry.hook = true;
  // Hooks are never reported as new objects (Kluctl counts them as applied hooks only).
  delete entry.new;
  if (entry.applied !== undefined) return true;
  if (previous !== undefined) entry.applied = previous;
  return false;
}

/** Waits for a hook; true when it became ready. A dry run never waits and counts as ready. */
async function waitHook(ctx: DeployContext, h: Hook): Promise<boolean> {
  if (ctx.opts.dryRun) return true;
  const waited = await waitForReadiness(ctx.kube, [refOf(h.object)], {
    clock: ctx.clock,
    timeoutMs: h.timeoutMs ?? ctx.opts.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    progress: ctx.progress,
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
  });
  for (const e of waited.errors) recordError(ctx, e.ref, e.message);
  for (const w of waited.warnings) recordWarning(ctx, w.ref, w.message);
  return waited.errors.length === 0;
}

async function deleteHook(ctx: DeployContext, h: Hook, i: number, total: number): Promise<void> {
  const ref = refOf(h.object);
  const policies = [...h.deletePolicies].join(',');
  ctx.progress.step(
    `Deleting hook ${refString(ref)} due to hook-delete-policy ${policies} (${i + 1} of ${total})`,
  );
  try {
    await deleteAndWait(ctx, ref);
  } catch (err) {
    recordError(ctx, ref, errorMessage(err));
  }
}
