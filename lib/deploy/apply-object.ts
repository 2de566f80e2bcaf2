/**
 * Applies one object with server-side apply and field manager `kluctl` (kluctl-semantics §7.6), and
 * records the outcome in the run's result entry: applied object, `new`, or the changes against the
 * object as it was before the run.
 */
import { FIELD_MANAGER } from '../api/constants.js';
import { errorMessage } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { computeChanges } from './changes.js';
import type { DeployContext } from './deploy-context.js';
import { recordError } from './deploy-context.js';
import { refKey, refOf } from './object-ref.js';

/** Applies `obj`; failures become error entries of the run. */
export async function applyObject(ctx: DeployContext, obj: KubeObject): Promise<void> {
  if (ctx.aborted) return;
  const ref = refOf(obj);
  let entry = ctx.entries.get(refKey(ref));
  if (!entry) {
    entry = { ref, rendered: obj };
    ctx.entries.set(refKey(ref), entry);
  }
  try {
    const applied = await ctx.kube.apply(obj, {
      fieldManager: FIELD_MANAGER,
      dryRun: ctx.opts.dryRun ?? false,
    });
    entry.applied = applied;
    if (entry.remote) {
      const changes = computeChanges(entry.remote, applied);
      if (changes.length > 0) entry.changes = changes;
    } else {
      entry.new = true;
    }
  } catch (err) {
    recordError(ctx, ref, errorMessage(err));
  }
}
