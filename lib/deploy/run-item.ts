/**
 * One deployment item, in Kluctl's order (kluctl-semantics §6.3): apply its objects in order, then
 * wait for the readiness it asks for. Hooks and deletions slot in before and after these steps.
 */
import { ANNOTATION_WAIT_READINESS } from '../api/constants.js';
import type { KubeClient, KubeObject, ObjectRef } from '../ports.js';
import { applyObject } from './apply-object.js';
import type { DeployContext } from './deploy-context.js';
import type { DeployItem } from './deploy-project.js';
import { refOf } from './object-ref.js';
import { waitForReadiness } from './wait-readiness.js';

/** Runs one item; `objects` are the item's objects still to apply (namespaces and CRDs went first). */
export async function runItem(
  ctx: DeployContext,
  item: DeployItem,
  objects: readonly KubeObject[],
): Promise<void> {
  if (objects.length > 0) ctx.progress.step(`applying ${objects.length} objects of ${item.dir}`);
  for (const o of objects) await applyObject(ctx, o);
  if (ctx.opts.noWait || ctx.opts.dryRun || ctx.aborted) return;
  const waits = await readinessTargets(ctx.kube, item, objects);
  if (waits.length === 0) return;
  const errs = await waitForReadiness(ctx.kube, waits, {
    clock: ctx.clock,
    timeoutMs: ctx.opts.readinessTimeoutMs ?? 5 * 60_000,
    progress: ctx.progress,
  });
  ctx.out.errors.push(...errs);
  if (errs.length > 0 && ctx.opts.abortOnError) ctx.aborted = true;
}

/**
 * What to wait for after an item: all its objects with `waitReadiness`, else those annotated
 * `kluctl.io/wait-readiness: "true"`, plus `waitReadinessObjects` resolved through discovery.
 */
async function readinessTargets(
  kube: KubeClient,
  item: DeployItem,
  applied: readonly KubeObject[],
): Promise<ObjectRef[]> {
  const own = item.waitReadiness
    ? applied
    : applied.filter((o) => o.metadata.annotations?.[ANNOTATION_WAIT_READINESS] === 'true');
  const refs = own.map(refOf);
  if ((item.waitReadinessObjects ?? []).length === 0) return refs;
  const resources = await kube.listResources();
  for (const w of item.waitReadinessObjects ?? []) {
    const r = resources.find((x) => x.kind === w.kind && (w.group === undefined || x.group === w.group));
    const ns = w.namespace ? { namespace: w.namespace } : {};
    refs.push(
      r
        ? { group: r.group, version: r.version, kind: r.kind, name: w.name, ...ns }
        : { group: w.group ?? '', version: '', kind: w.kind ?? '', name: w.name, ...ns },
    );
  }
  return refs;
}
