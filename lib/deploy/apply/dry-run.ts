/**
 * The dry-run simulation of Kluctl (kluctl-semantics §7.6): an object in a namespace that only exists
 * because this dry run "created" it (or an object that was "deleted" earlier in the run) is applied
 * under a random name in `default` and renamed back; custom resources of CRDs "applied" earlier in the
 * run pretend success with a warning.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../ports.js';
import type { DeployContext } from '../deploy-context.js';
import { isCrd, isNamespace } from '../object-ref.js';
import { applyState, liveNamespaceExists } from './run-state.js';

/** How an object is sent during a dry run: maybe under a stand-in name and namespace. */
export interface DryRunPlan {
  readonly obj: KubeObject;
  /** The stand-in name, when one is used. */
  readonly dummyName?: string;
}

/** `name-xxxxxxxx`, shortened so that the result has at most `maxLen` characters. */
function randomizeSuffix(name: string, n: number, maxLen: number): string {
  const suffix = randomBytes(n).toString('hex').slice(0, n);
  return `${name.slice(0, Math.max(0, maxLen - n - 1))}-${suffix}`;
}

/** Decides whether `obj` needs a stand-in name for this dry run (`replaced`: deleted earlier in the run). */
export async function planDryRun(
  ctx: DeployContext,
  obj: KubeObject,
  opts: { replaced: boolean; hasRemote: boolean },
): Promise<DryRunPlan> {
  if (!ctx.opts.dryRun) return { obj };
  const ns = obj.metadata.namespace;
  const state = applyState(ctx);
  let namespace: string | undefined;
  if (opts.replaced && opts.hasRemote) namespace = ns;
  else if (ns && state.namespaces.has(ns) && !(await liveNamespaceExists(ctx, ns))) namespace = 'default';
  else return { obj };
  const dummyName = randomizeSuffix(obj.metadata.name, 8, 63);
  const copy = structuredClone(obj);
  copy.metadata.name = dummyName;
  if (namespace !== undefined) copy.metadata.namespace = namespace;
  return { obj: copy, dummyName };
}

/** Undoes a stand-in name in an apply result: every key and string value equal to it gets the real name. */
export function undoDummyName(result: KubeObject, dummyName: string, original: KubeObject): KubeObject {
  const swap = (v: unknown): unknown => {
    if (v === dummyName) return original.metadata.name;
    if (Array.isArray(v)) return v.map(swap);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k === dummyName ? original.metadata.name : k, swap(x)]),
      );
    return v;
  };
  const out = swap(result) as KubeObject;
  if (original.metadata.namespace !== undefined) out.metadata.namespace = original.metadata.namespace;
  else delete out.metadata.namespace;
  return out;
}

/** Remembers namespaces and the kinds of CRDs applied in this run. */
export function observeApplied(ctx: DeployContext, applied: KubeObject): void {
  const state = applyState(ctx);
  if (isNamespace(applied)) state.namespaces.add(applied.metadata.name);
  if (!isCrd(applied)) return;
  const spec = (applied.spec ?? {}) as {
    group?: string;
    names?: { kind?: string };
    versions?: { name?: string }[];
  };
  for (const v of spec.versions ?? [])
    state.crdKinds.add(`${spec.group ?? ''}/${v.name ?? ''}/${spec.names?.kind ?? ''}`);
}

/** Whether a CRD applied earlier in this run serves `obj`'s kind. */
export function servedByAppliedCrd(ctx: DeployContext, obj: KubeObject): boolean {
  const slash = obj.apiVersion.indexOf('/');
  const gvk = slash < 0 ? `/${obj.apiVersion}/${obj.kind}` : `${obj.apiVersion}/${obj.kind}`;
  return applyState(ctx).crdKinds.has(gvk);
}
