/**
 * The deploy command's engine: server-side apply of every rendered object with field manager `kluctl`,
 * namespaces and CRDs first, deployment items in parallel (at most 8, as Kluctl) up to each barrier,
 * objects inside an item in order; then orphans are found and, with `prune`, deleted.
 */
import type { Clock, KubeClient, KubeObject, ObjectRef, Progress } from '../ports.js';
import { silentProgress, systemClock } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { applyObject, registerConflictRules } from './apply-object.js';
import type { ResultObject } from './command-result.js';
import type { DeployContext } from './deploy-context.js';
import { isDeleteAnnotated, isHook } from './hooks/hook-annotations.js';
import { runItem } from './run-item.js';
import { isCrd, isNamespace, refKey, refOf, refString } from './object-ref.js';
import { deleteObjects, findOrphans } from './prune.js';
import type { Inclusion } from '../project/inclusion.js';
import { collectRemoteObjects, NO_REF } from './remote-objects.js';
import { errorMessage } from '../errors.js';

/** One deployment item as the deploy engine needs it (RenderedItem satisfies this). */
export interface DeployItem {
  readonly dir: string;
  readonly barrier: boolean;
  readonly onlyRender?: boolean;
  /** Wait for all objects of the item after applying them. */
  readonly waitReadiness?: boolean;
  /** Further (possibly foreign) objects to wait for after the item ran. */
  readonly waitReadinessObjects?: readonly {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
  }[];
  /** Objects deleted when the item runs, before its hooks (all resource types matching group/kind). */
  readonly deleteObjects?: DeployItem['waitReadinessObjects'];
  /** The project's `conflictResolution` entries (parents first), validated when applying. */
  readonly conflictResolution?: readonly unknown[];
  readonly objects: readonly KubeObject[];
}

/** What to deploy (RenderedProject satisfies this). */
export interface DeployInput {
  readonly discriminator: string;
  readonly items: readonly DeployItem[];
}

/** Options of {@link deployProject}. */
export interface DeployOptions {
  readonly dryRun?: boolean;
  /** Delete orphans after applying. */
  readonly prune?: boolean;
  /** Stop starting new objects after the first error. */
  readonly abortOnError?: boolean;
  /** Items applied in parallel between barriers (default 8, Kluctl's bound). */
  readonly itemConcurrency?: number;
  readonly progress?: Progress;
  /** Skip waiting for readiness (`--no-wait`). */
  readonly noWait?: boolean;
  /** Per-object readiness timeout; default 5m (Kluctl's `--readiness-timeout`). */
  readonly readinessTimeoutMs?: number;
  /** Clock of the readiness waits; default the system clock. */
  readonly clock?: Clock;
  /**
   * Inclusion rules of the run (`-I`, `-E`, deployment dirs): orphans are only sought among live
   * objects they include, and `kluctl.io/skip-delete-if-tags` objects are spared while tag rules apply.
   */
  readonly inclusion?: Inclusion;
  /** Force-apply every conflicting field (`--force-apply`). */
  readonly forceApply?: boolean;
  /** Replace (PUT) objects whose apply failed (`--replace-on-error`). */
  readonly replaceOnError?: boolean;
  /** Also delete and re-create objects whose replace failed (`--force-replace-on-error`). */
  readonly forceReplaceOnError?: boolean;
  /**
   * Cancels the run (a reconcile's deadline): nothing new is applied or pruned, readiness waits end
   * with Kluctl's "context cancelled" error, and the signal's reason becomes an error of the outcome.
   */
  readonly signal?: AbortSignal;
}

/** Objects, errors and warnings of one deploy. */
export interface DeployOutcome {
  readonly objects: ResultObject[];
  readonly errors: { ref: ObjectRef; message: string }[];
  readonly warnings: { ref: ObjectRef; message: string }[];
}

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
