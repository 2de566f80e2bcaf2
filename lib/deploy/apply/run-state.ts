/**
 * Per-run state of the apply engine, kept beside the shared DeployContext: namespaces and CRDs applied
 * in this run (for the dry-run simulation), which namespaces exist live, the conflict rules of each
 * rendered object, and which API groups already had their discovery refreshed.
 */
import type { DeployContext } from '../deploy-context.js';
import { refKey, refOf } from '../object-ref.js';
import type { KubeObject } from '../../ports.js';
import type { ConflictRule } from './conflict-resolution.js';
import { parseConflictRules } from './conflict-resolution.js';

/** What one deploy run remembers between object applies. */
export interface ApplyRunState {
  /** Names of namespaces applied (really or in dry-run) in this run. */
  readonly namespaces: Set<string>;
  /** `group/version/kind` served by CRDs applied in this run. */
  readonly crdKinds: Set<string>;
  /** Whether a namespace exists in the cluster, looked up once. */
  readonly liveNamespaces: Map<string, Promise<boolean>>;
  /** Conflict rules (project `conflictResolution`) by refKey of the rendered object. */
  readonly rules: Map<string, readonly ConflictRule[]>;
  /** Invalid `conflictResolution` entries, by refKey: reported as the object's error. */
  readonly ruleErrors: Map<string, string>;
  /** API groups whose discovery was refreshed after an unknown-kind error. */
  readonly rediscovered: Set<string>;
}

const states = new WeakMap<DeployContext, ApplyRunState>();

/** The apply state of `ctx`'s run (created on first use). */
export function applyState(ctx: DeployContext): ApplyRunState {
  let s = states.get(ctx);
  if (!s) {
    s = {
      namespaces: new Set(),
      crdKinds: new Set(),
      liveNamespaces: new Map(),
      rules: new Map(),
      ruleErrors: new Map(),
      rediscovered: new Set(),
    };
    states.set(ctx, s);
  }
  return s;
}

/**
 * Registers the project's `conflictResolution` rules of every item's objects. Invalid rules are
 * remembered and reported on each object of that item when it is applied.
 */
export function registerConflictRules(
  ctx: DeployContext,
  items: readonly {
    readonly conflictResolution?: readonly unknown[];
    readonly objects: readonly KubeObject[];
  }[],
): void {
  const state = applyState(ctx);
  for (const item of items) {
    const raw = item.conflictResolution ?? [];
    if (raw.length === 0) continue;
    let rules: ConflictRule[] = [];
    let error: string | undefined;
    try {
      rules = parseConflictRules(raw);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    for (const o of item.objects) {
      const key = refKey(refOf(o));
      if (error !== undefined) state.ruleErrors.set(key, error);
      else state.rules.set(key, rules);
    }
  }
}

/** Whether namespace `name` exists in the cluster (one GET per namespace and run). */
export function liveNamespaceExists(ctx: DeployContext, name: string): Promise<boolean> {
  const state = applyState(ctx);
  let p = state.liveNamespaces.get(name);
  if (!p) {
    p = ctx.kube
      .get({ group: '', version: 'v1', kind: 'Namespace', name })
      .then((o) => o !== undefined && !o.metadata.deletionTimestamp);
    state.liveNamespaces.set(name, p);
  }
  return p;
}
