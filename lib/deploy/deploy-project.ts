/**
 * The deploy command's engine: server-side apply of every rendered object with field manager `kluctl`,
 * namespaces and CRDs first, deployment items in parallel (at most 8, as Kluctl) up to each barrier,
 * objects inside an item in order; then orphans are found and, with `prune`, deleted.
 */
import type { KubeClient } from '../ports.js';
import { silentProgress, systemClock } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { applyObject } from './apply/apply-object.js';
import { registerConflictRules } from './apply/run-state.js';
import type { ResultObject } from './command-result.js';
import type { DeployContext } from './deploy-context.js';
import type { DeployInput, DeployOptions, DeployOutcome } from './deploy-types.js';
import { isDeleteAnnotated, isHook } from './hooks/hook-annotations.js';
import { runItem } from './run-item.js';
import { isCrd, isNamespace, refKey, refOf, refString } from './object-ref.js';
import { deleteObjects, findOrphans } from './delete-objects.js';
import { collectRemoteObjects, NO_REF } from './remote-objects.js';
import { errorMessage } from '../errors.js';

/** Deploys a rendered project. Per-object failures are entries of the outcome, not exceptions. */
export async function deployProject(
  kube: KubeClient,
  input: DeployInput,
  opts: DeployOptions = {},
): Promise<DeployOutcome> {
  const progress = opts.progress ?? silentProgress;
  const items = input.items.filter((i) => !i.onlyRender);
  const rendered = items.flatMap((i) => i.objects);
  if (!input.discriminator) {
    progress.step('warning: no discriminator configured. Orphan object detection will not work');
  }
  const remote = await collectRemoteObjects(kube, input.discriminator, rendered);
  const out: DeployOutcome = { objects: [], errors: [], warnings: [...remote.warnings] };
  const entries = new Map<string, ResultObject>();
  for (const o of rendered) {
    const ref = refOf(o);
    const live = remote.byKey.get(refKey(ref));
    entries.set(refKey(ref), { ref, rendered: o, ...(live ? { remote: live } : {}) });
  }
  const ctx: DeployContext = {
    kube,
    opts,
    progress,
    clock: opts.clock ?? systemClock,
    entries,
    out,
    aborted: false,
  };
  const cancel = (): void => {
    ctx.aborted = true;
  };
  if (opts.signal?.aborted) cancel();
  opts.signal?.addEventListener('abort', cancel, { once: true });
  registerConflictRules(ctx, items);

  // Namespaces and CRDs go first so the objects that need them can be applied in any order.
  // Hooks and `kluctl.io/delete` objects are left to their item's sequence (run-item.ts).
  const early = rendered.filter((o) => (isNamespace(o) || isCrd(o)) && !isHook(o) && !isDeleteAnnotated(o));
  if (early.length > 0) {
    progress.step(`applying ${early.length} namespaces and CRDs`);
    await mapBounded(early, 8, (o) => applyObject(ctx, o));
    if (early.some(isCrd)) kube.invalidateDiscovery();
  }
  const earlyKeys = new Set(early.map((o) => refKey(refOf(o))));
  for (const group of splitAtBarriers(items)) {
    await mapBounded(group, opts.itemConcurrency ?? 8, (item) =>
      runItem(
        ctx,
        item,
        item.objects.filter((o) => !earlyKeys.has(refKey(refOf(o)))),
      ),
    );
  }

  // Objects an item's deleteObjects already removed are not orphans any more.
  const orphans = findOrphans(remote.byKey.values(), rendered, opts.inclusion).filter(
    (o) => entries.get(refKey(refOf(o)))?.deleted !== true,
  );
  for (const o of orphans) entries.set(refKey(refOf(o)), { ref: refOf(o), remote: o, orphan: true });
  if (opts.prune && orphans.length > 0 && !opts.dryRun && !ctx.aborted) {
    progress.step(`pruning ${orphans.length} orphan objects`);
    const del = await deleteObjects(kube, orphans);
    for (const ref of del.deleted) {
      const e = entries.get(refKey(ref))!;
      e.deleted = true;
      delete e.orphan;
    }
    out.errors.push(...del.errors);
  }
  if (opts.signal?.aborted) out.errors.push({ ref: NO_REF, message: errorMessage(opts.signal.reason) });
  out.objects.push(...entries.values());
  for (const e of out.errors) progress.step(`error: ${refString(e.ref)}: ${e.message}`);
  return out;
}

/** Groups items so that each group ends at a barrier (the barrier item belongs to its group). */
export function splitAtBarriers<T extends { readonly barrier: boolean }>(items: readonly T[]): T[][] {
  const groups: T[][] = [[]];
  for (const it of items) {
    groups[groups.length - 1]!.push(it);
    if (it.barrier) groups.push([]);
  }
  return groups.filter((g) => g.length > 0);
}
