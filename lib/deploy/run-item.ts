/**
 * One deployment item, in Kluctl's order (kluctl-semantics §6.3): (1) delete its `deleteObjects` and
 * `kluctl.io/delete` objects, (2) run the pre hooks, (3) apply the other objects in order, (4) wait for
 * the readiness the item asks for, (5) run the post hooks unless the run was aborted. "Initial" hooks
 * run when none of the item's objects (hooks included) existed before the run, "upgrade" hooks otherwise.
 */
import { ANNOTATION_WAIT_READINESS } from '../api/constants.js';
import type { KubeObject, ObjectRef } from '../ports.js';
import { applyObject } from './apply/apply-object.js';
import type { DeployContext } from './deploy-context.js';
import { recordError, recordWarning } from './deploy-context.js';
import type { DeployItem } from './deploy-types.js';
import type { Hook } from './hooks/hook-annotations.js';
import { isDeleteAnnotated, parseHook, selectHooks } from './hooks/hook-annotations.js';
import { deleteItemObjects, resolveRefItems } from './hooks/item-deletions.js';
import { runHooks } from './hooks/run-hooks.js';
import { refKey, refOf } from './object-ref.js';
import { NO_REF } from './remote-objects.js';
import { waitForReadiness } from './wait-readiness.js';

/** Kluctl's CLI default for `--readiness-timeout`. */
const DEFAULT_READINESS_TIMEOUT_MS = 5 * 60_000;

/** An item's objects sorted into what each step handles. */
interface ItemPlan {
  readonly hooks: Hook[];
  readonly hookKeys: ReadonlySet<string>;
  readonly initial: boolean;
}

/** Runs one item; `objects` are the item's objects still to apply (namespaces and CRDs went first). */
export async function runItem(
  ctx: DeployContext,
  item: DeployItem,
  objects: readonly KubeObject[],
): Promise<void> {
  const plan = planItem(ctx, item);
  await deleteItemObjects(ctx, item);

  const pre = plan.initial ? ['pre-deploy-initial', 'pre-deploy'] : ['pre-deploy-upgrade', 'pre-deploy'];
  await runHooks(ctx, selectHooks(plan.hooks, pre));

  const toApply = objects.filter((o) => !plan.hookKeys.has(refKey(refOf(o))) && !isDeleteAnnotated(o));
  if (toApply.length > 0) ctx.progress.step(`applying ${toApply.length} objects of ${item.dir}`);
  for (const o of toApply) {
    if (ctx.aborted) break;
    await applyObject(ctx, o);
  }

  if (!ctx.opts.noWait && !ctx.opts.dryRun && !ctx.aborted) await waitForItem(ctx, item, plan);
  if (ctx.aborted) return;

  const post = plan.initial ? ['post-deploy-initial', 'post-deploy'] : ['post-deploy-upgrade', 'post-deploy'];
  await runHooks(ctx, selectHooks(plan.hooks, post));
}

/** Parses the hooks of the item (recording their annotation problems) and decides initial vs upgrade. */
function planItem(ctx: DeployContext, item: DeployItem): ItemPlan {
  const hooks: Hook[] = [];
  const hookKeys = new Set<string>();
  for (const o of item.objects) {
    const parsed = parseHook(o);
    for (const e of parsed.errors) recordError(ctx, refOf(o), e);
    for (const w of parsed.warnings) recordWarning(ctx, refOf(o), w);
    if (!parsed.hook) continue;
    hooks.push(parsed.hook);
    hookKeys.add(refKey(refOf(o)));
  }
  const initial = item.objects.every((o) => ctx.entries.get(refKey(refOf(o)))?.remote === undefined);
  return { hooks, hookKeys, initial };
}

/**
 * Waits for the item's non-hook objects when the item has `waitReadiness`, else for those annotated
 * `kluctl.io/wait-readiness: "true"`, plus its `waitReadinessObjects` resolved through discovery.
 */
async function waitForItem(ctx: DeployContext, item: DeployItem, plan: ItemPlan): Promise<void> {
  const own = item.objects.filter(
    (o) =>
      !plan.hookKeys.has(refKey(refOf(o))) &&
      !isDeleteAnnotated(o) &&
      (item.waitReadiness === true || o.metadata.annotations?.[ANNOTATION_WAIT_READINESS] === 'true'),
  );
  const refs: ObjectRef[] = own.map(refOf);
  const foreign = await resolveRefItems(ctx.kube, item.waitReadinessObjects ?? []);
  for (const u of foreign.unknown) {
    // Kluctl's wording, reported without an object (it has no resolved ref).
    const where = u.ref.namespace ? `${u.ref.namespace}/${u.ref.name}` : u.ref.name;
    recordError(
      ctx,
      NO_REF,
      `failed to wait for readiness of ${where}. resource with group/kind ${u.groupKind} not found`,
    );
  }
  refs.push(...foreign.refs);
  if (refs.length === 0) return;
  const waited = await waitForReadiness(ctx.kube, refs, {
    clock: ctx.clock,
    timeoutMs: ctx.opts.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
    progress: ctx.progress,
    ...(ctx.opts.signal ? { signal: ctx.opts.signal } : {}),
  });
  for (const e of waited.errors) recordError(ctx, e.ref, e.message);
  for (const w of waited.warnings) recordWarning(ctx, w.ref, w.message);
}
