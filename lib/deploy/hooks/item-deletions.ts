/**
 * The first step of a deployment item (kluctl-semantics §2.3 `deleteObjects`, §5.2 `kluctl.io/delete`,
 * §6.3): objects named by the item's `deleteObjects` (every API resource type matching the group/kind)
 * and rendered objects annotated `kluctl.io/delete: "true"` are deleted before any hook runs. Missing
 * objects are fine; a group/kind the cluster does not know is an error. Deletions wait until the object
 * is gone, as Kluctl does, so a hook or object re-created right after does not meet its predecessor.
 */
import { KsError, errorMessage } from '../../errors.js';
import type { KubeClient, ObjectRef } from '../../ports.js';
import type { DeployContext } from '../deploy-context.js';
import { recordError } from '../deploy-context.js';
import type { DeployItem } from '../deploy-types.js';
import { refKey, refOf, refString } from '../object-ref.js';
import { isDeleteAnnotated } from './hook-annotations.js';

/** A `deleteObjects` / `waitReadinessObjects` entry of deployment.yaml. */
export interface ObjectRefItem {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Refs resolved from ref items, and the items whose group/kind the cluster does not serve. */
export interface ResolvedRefs {
  readonly refs: ObjectRef[];
  readonly unknown: { readonly item: ObjectRefItem; readonly ref: ObjectRef; readonly groupKind: string }[];
}

const POLL_MS = 500;
const DEFAULT_GONE_TIMEOUT_MS = 5 * 60_000;

/**
 * Resolves ref items against discovery: one ref per preferred resource type matching the item's group
 * (if set) and kind (if set). Cluster-scoped types drop the namespace.
 */
export async function resolveRefItems(
  kube: KubeClient,
  items: readonly ObjectRefItem[],
): Promise<ResolvedRefs> {
  const out: ResolvedRefs = { refs: [], unknown: [] };
  if (items.length === 0) return out;
  const resources = await kube.listResources();
  for (const item of items) {
    const matching = resources.filter(
      (r) =>
        (item.group === undefined || r.group === item.group) &&
        (item.kind === undefined || r.kind === item.kind),
    );
    const ns = item.namespace ? { namespace: item.namespace } : {};
    if (matching.length === 0) {
      const groupKind = item.group ? `${item.kind ?? ''}.${item.group}` : (item.kind ?? '');
      out.unknown.push({
        item,
        ref: { group: item.group ?? '', version: '', kind: item.kind ?? '', name: item.name, ...ns },
        groupKind,
      });
      continue;
    }
    for (const r of matching) {
      out.refs.push({
        group: r.group,
        version: r.version,
        kind: r.kind,
        name: item.name,
        ...(r.namespaced ? ns : {}),
      });
    }
  }
  return out;
}

/** Deletes what the item asks to delete; marks deleted objects in the run's result entries. */
export async function deleteItemObjects(ctx: DeployContext, item: DeployItem): Promise<void> {
  const targets = new Map<string, ObjectRef>();
  for (const o of item.objects) {
    if (isDeleteAnnotated(o)) targets.set(refKey(refOf(o)), refOf(o));
  }
  const resolved = await resolveRefItems(ctx.kube, item.deleteObjects ?? []);
  for (const u of resolved.unknown) {
    recordError(
      ctx,
      u.ref,
      `cannot delete ${refString(u.ref)}: the cluster serves no resource with group/kind ${u.groupKind}; fix deleteObjects of ${item.dir || 'the deployment item'}`,
    );
  }
  for (const r of resolved.refs) targets.set(refKey(r), r);
  if (targets.size === 0 || ctx.aborted) return;

  ctx.progress.step(`Deleting ${targets.size} objects`);
  let i = 0;
  for (const [key, ref] of targets) {
    ctx.progress.step(`Deleting object ${refString(ref)} (${++i} of ${targets.size})`);
    try {
      const entry = ctx.entries.get(key);
      // Rendered objects were all looked up before the run; others need a look now.
      const existed = entry ? entry.remote !== undefined : (await ctx.kube.get(ref)) !== undefined;
      if (!existed) continue;
      await deleteAndWait(ctx, ref);
      if (entry) entry.deleted = true;
      else ctx.entries.set(key, { ref, deleted: true });
    } catch (err) {
      recordError(ctx, ref, errorMessage(err));
    }
  }
}

/**
 * Deletes one object (a dry-run delete in dry runs) and, outside dry runs, polls until it is gone.
 * A missing object is not an error. Throws on API errors and when the object outlives the timeout.
 */
export async function deleteAndWait(ctx: DeployContext, ref: ObjectRef): Promise<void> {
  const dryRun = ctx.opts.dryRun ?? false;
  await ctx.kube.delete(ref, { dryRun });
  if (dryRun) return;
  const timeoutMs = ctx.opts.readinessTimeoutMs ?? DEFAULT_GONE_TIMEOUT_MS;
  const start = ctx.clock.now().getTime();
  while ((await ctx.kube.get(ref)) !== undefined) {
    if (ctx.clock.now().getTime() - start >= timeoutMs)
      throw new KsError('Timeout', `timed out while waiting for ${refString(ref)} to be deleted`, {
        retryable: true,
      });
    await new Promise<void>((r) => setTimeout(r, POLL_MS));
  }
}
