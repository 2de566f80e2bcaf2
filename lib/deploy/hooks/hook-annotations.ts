/**
 * Hook annotations of one rendered object (kluctl-semantics §5.5, §4.4): which hook types it runs in,
 * its weight, delete policies, whether and how long to wait for it. Helm's hook annotations are mapped
 * onto Kluctl's as Kluctl maps them. Pure: problems come back as messages, the caller records them.
 */
import { parseDuration } from '../../api/durations.js';
import { errorMessage } from '../../errors.js';
import type { KubeObject } from '../../ports.js';
import { isGoTrue, parseGoBool } from '../../util/go-bool.js';

const ANNOTATION_HOOK = 'kluctl.io/hook';
const ANNOTATION_HOOK_WEIGHT = 'kluctl.io/hook-weight';
const ANNOTATION_HOOK_DELETE_POLICY = 'kluctl.io/hook-delete-policy';
const ANNOTATION_HOOK_WAIT = 'kluctl.io/hook-wait';
const ANNOTATION_HOOK_TIMEOUT = 'kluctl.io/hook-timeout';
const ANNOTATION_DELETE = 'kluctl.io/delete';
const ANNOTATION_HELM_HOOK = 'helm.sh/hook';
const ANNOTATION_HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
const ANNOTATION_HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

/** The hook types Kluctl runs. */
const KLUCTL_HOOKS = [
  'pre-deploy',
  'post-deploy',
  'pre-deploy-initial',
  'post-deploy-initial',
  'pre-deploy-upgrade',
  'post-deploy-upgrade',
] as const;

/** The delete policies Kluctl knows. */
const DELETE_POLICIES = ['before-hook-creation', 'hook-succeeded', 'hook-failed'] as const;

/**
 * Helm hook → the hook type it becomes. Delete and rollback hooks are accepted (the object is a hook
 * and is never applied as a normal object) but no deploy runs them, as in Kluctl.
 */
const HELM_HOOK_MAP: Readonly<Record<string, string>> = {
  'pre-install': 'pre-deploy-initial',
  'post-install': 'post-deploy-initial',
  'pre-upgrade': 'pre-deploy-upgrade',
  'post-upgrade': 'post-deploy-upgrade',
  'pre-delete': 'pre-delete',
  'post-delete': 'post-delete',
  'pre-rollback': 'pre-rollback',
  'post-rollback': 'post-rollback',
};
/** Helm hooks Kluctl supports without a warning (delete/rollback are mapped but warned about). */
const SUPPORTED_HELM_HOOKS = new Set(['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade']);

/** One hook object with its parsed annotations. */
export interface Hook {
  readonly object: KubeObject;
  /** Hook types, after Helm mapping (may contain unsupported names, which were reported). */
  readonly types: ReadonlySet<string>;
  /** Ascending execution order; default 0. */
  readonly weight: number;
  /** Default `before-hook-creation` when neither annotation names one. */
  readonly deletePolicies: ReadonlySet<string>;
  /** `kluctl.io/hook-wait`, default true. */
  readonly wait: boolean;
  /** `kluctl.io/hook-timeout`; undefined = the run's readiness timeout. */
  readonly timeoutMs?: number;
}

/** Outcome of {@link parseHook}: the hook (undefined for a normal object) and the problems found. */
export interface ParsedHook {
  readonly hook?: Hook;
  readonly errors: string[];
  readonly warnings: string[];
}

function annotation(obj: KubeObject, key: string): string | undefined {
  return obj.metadata.annotations?.[key];
}

/** A comma list annotation as a set of trimmed, non-empty entries. */
function annotationSet(obj: KubeObject, key: string): Set<string> {
  const raw = annotation(obj, key);
  return new Set(
    (raw ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/** Whether the object carries `kluctl.io/delete: "true"` (unparsable values count as false, as in Kluctl). */
export function isDeleteAnnotated(obj: KubeObject): boolean {
  return isGoTrue(annotation(obj, ANNOTATION_DELETE));
}

/** The hook types of an object after Helm mapping, without validation. */
function hookTypes(obj: KubeObject): Set<string> {
  const types = annotationSet(obj, ANNOTATION_HOOK);
  for (const h of annotationSet(obj, ANNOTATION_HELM_HOOK)) {
    const mapped = HELM_HOOK_MAP[h];
    if (mapped) types.add(mapped);
  }
  return types;
}

/** Whether the object is a hook (so it is never applied as a normal object of its item). */
export function isHook(obj: KubeObject): boolean {
  return !isDeleteAnnotated(obj) && hookTypes(obj).size > 0;
}

/** Parses the hook annotations of `obj`; objects marked `kluctl.io/delete` are never hooks. */
export function parseHook(obj: KubeObject): ParsedHook {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (isDeleteAnnotated(obj)) return { errors, warnings };
  for (const h of annotationSet(obj, ANNOTATION_HOOK)) {
    if (!(KLUCTL_HOOKS as readonly string[]).includes(h))
      errors.push(`unsupported ${ANNOTATION_HOOK} '${h}': use one of ${KLUCTL_HOOKS.join(', ')}`);
  }
  for (const h of annotationSet(obj, ANNOTATION_HELM_HOOK)) {
    if (!SUPPORTED_HELM_HOOKS.has(h)) warnings.push(`unsupported ${ANNOTATION_HELM_HOOK} '${h}'`);
  }
  const types = hookTypes(obj);

  let weight = 0;
  const weightStr = annotation(obj, ANNOTATION_HOOK_WEIGHT) ?? annotation(obj, ANNOTATION_HELM_HOOK_WEIGHT);
  if (weightStr !== undefined) {
    if (/^[+-]?\d+$/.test(weightStr.trim())) weight = parseInt(weightStr, 10);
    else errors.push(`failed to parse hook weight '${weightStr}': use an integer`);
  }

  const deletePolicies = annotationSet(obj, ANNOTATION_HOOK_DELETE_POLICY);
  for (const p of annotationSet(obj, ANNOTATION_HELM_HOOK_DELETE_POLICY)) deletePolicies.add(p);
  if (deletePolicies.size === 0) deletePolicies.add('before-hook-creation');
  for (const p of deletePolicies) {
    if (!(DELETE_POLICIES as readonly string[]).includes(p))
      errors.push(
        `unsupported ${ANNOTATION_HOOK_DELETE_POLICY} '${p}': use one of ${DELETE_POLICIES.join(', ')}`,
      );
  }

  let wait = true;
  const waitStr = annotation(obj, ANNOTATION_HOOK_WAIT);
  if (waitStr !== undefined) {
    const b = parseGoBool(waitStr);
    if (b === undefined) errors.push(`invalid ${ANNOTATION_HOOK_WAIT} '${waitStr}': use "true" or "false"`);
    else wait = b;
  }

  let timeoutMs: number | undefined;
  const timeoutStr = annotation(obj, ANNOTATION_HOOK_TIMEOUT);
  if (timeoutStr !== undefined) {
    try {
      const ms = parseDuration(timeoutStr);
      // A zero timeout means "the run's readiness timeout", as in Kluctl.
      if (ms > 0) timeoutMs = ms;
    } catch (err) {
      errors.push(`failed to parse ${ANNOTATION_HOOK_TIMEOUT}: ${errorMessage(err)}`);
    }
  }

  if (types.size === 0) return { errors, warnings };
  const hook: Hook = {
    object: obj,
    types,
    weight,
    deletePolicies,
    wait,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  };
  return { hook, errors, warnings };
}

/** The hooks that run for any of `types`, sorted by weight (stable, so equal weights keep item order). */
export function selectHooks(hooks: readonly Hook[], types: readonly string[]): Hook[] {
  return hooks
    .filter((h) => types.some((t) => h.types.has(t)))
    .map((h, i) => ({ h, i }))
    .sort((a, b) => a.h.weight - b.h.weight || a.i - b.i)
    .map((x) => x.h);
}

/** Whether the hook stays in the cluster after it ran (validate checks only those). */
export function isPersistentHook(h: Hook): boolean {
  return [...h.deletePolicies].every((p) => p === 'before-hook-creation' || p === 'hook-failed');
}

/** Whether the hook only runs on delete (Helm pre/post-delete), i.e. never during deploy. */
export function isOnlyDeleteHook(h: Hook): boolean {
  return [...h.types].every((t) => t === 'pre-delete' || t === 'post-delete');
}

/** Whether the hook only runs on rollback (Helm pre/post-rollback), i.e. never during deploy. */
export function isOnlyRollbackHook(h: Hook): boolean {
  return [...h.types].every((t) => t === 'pre-rollback' || t === 'post-rollback');
}
