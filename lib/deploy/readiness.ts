/**
 * Readiness of a live object (kluctl-semantics §6.1): annotation overrides, the generic status and
 * observedGeneration checks, then per-kind rules. Pure: the caller says whether the object's type has a
 * status at all (from the CRD schema or the built-in types).
 */
import type { KubeObject } from '../ports.js';

/** Outcome of a readiness check. "Not ready" messages are errors in validate, warnings while waiting. */
export interface Readiness {
  readonly ready: boolean;
  /** Why the object is not ready (empty when ready). */
  readonly notReady: string[];
  /** Hard failures (a failed Job, a crashed container): waiting cannot help. */
  readonly errors: string[];
  readonly warnings: string[];
  /** `validate-result.kluctl.io/*` annotations, as `{annotation, message}`. */
  readonly results: { annotation: string; message: string }[];
}

/** Options of {@link checkReadiness}. */
export interface ReadinessOptions {
  readonly now: Date;
  /** Whether objects of this type get a status; undefined when that could not be determined. */
  readonly statusExpected: boolean | undefined;
}

type Dict = Record<string, unknown>;
const RESULT_PREFIX = 'validate-result.kluctl.io/';
/** Kluctl treats an object without status as ready once it is older than this. */
const NO_STATUS_GRACE_MS = 15_000;

/** Checks a live object. */
export function checkReadiness(obj: KubeObject, opts: ReadinessOptions): Readiness {
  const r: Readiness = { ready: true, notReady: [], errors: [], warnings: [], results: [] };
  const ann = obj.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(ann)) {
    if (k.startsWith(RESULT_PREFIX)) r.results.push({ annotation: k, message: v });
  }
  if (isTrue(ann['kluctl.io/validate-ignore'])) return r;
  if (ann['kluctl.io/is-ready'] !== undefined) {
    if (!isTrue(ann['kluctl.io/is-ready'])) r.notReady.push('kluctl.io/is-ready is false');
    return done(r);
  }
  const status = obj.status as Dict | undefined;
  if (!status || Object.keys(status).length === 0) {
    if (opts.statusExpected === undefined) {
      r.warnings.push('unable to determine if a status is expected for this object');
    } else if (opts.statusExpected && !olderThan(obj, opts.now, NO_STATUS_GRACE_MS)) {
      r.notReady.push('no status available yet');
    }
    return done(r);
  }
  const og = status.observedGeneration;
  if (typeof og === 'number' && obj.metadata.generation !== undefined && og !== obj.metadata.generation) {
    r.notReady.push('Waiting for reconciliation');
    return done(r);
  }
  KIND_RULES[kindKey(obj)]?.(obj, status, r);
  return done(r);
}

function done(r: Readiness): Readiness {
  return { ...r, ready: r.notReady.length === 0 && r.errors.length === 0 };
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && /^(true|1|t|yes)$/i.test(v.trim());
}

function olderThan(obj: KubeObject, now: Date, ms: number): boolean {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '');
  return Number.isFinite(created) && now.getTime() - created > ms;
}

function kindKey(obj: KubeObject): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0]! : '';
  return `${group}/${obj.kind}`;
}

function condition(status: Dict, type: string): Dict | undefined {
  const list = Array.isArray(status.conditions) ? (status.conditions as Dict[]) : [];
  return list.find((c) => c.type === type);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

type Rule = (obj: KubeObject, status: Dict, r: Readiness) => void;

const KIND_RULES: Record<string, Rule> = {
  '/Pod': (_o, status, r) => {
    const containers = [
      ...((status.initContainerStatuses as Dict[] | undefined) ?? []),
      ...((status.containerStatuses as Dict[] | undefined) ?? []),
    ];
    for (const c of containers) {
      const term = (c.state as Dict | undefined)?.terminated as Dict | undefined;
      if (term?.reason === 'Error') r.errors.push(`container ${String(c.name)} terminated with an error`);
    }
    // Kluctl treats a pod as ready only once it completed (hooks and one-shot pods).
    const ready = condition(status, 'Ready');
    if (!(ready?.status === 'False' && ready.reason === 'PodCompleted'))
      r.notReady.push('pod has not completed');
  },
  'batch/Job': (_o, status, r) => {
    if (condition(status, 'Failed')?.status === 'True') {
      r.errors.push(`job failed: ${String(condition(status, 'Failed')?.message ?? '')}`.trimEnd());
    } else if (condition(status, 'Complete')?.status !== 'True') r.notReady.push('job has not completed');
  },
  'apps/Deployment': (obj, status, r) => {
    const want = num((obj.spec as Dict | undefined)?.replicas);
    if (want === 0) return;
    const ready = num(status.readyReplicas) ?? 0;
    const replicas = num(status.replicas);
    if (replicas === undefined || ready < replicas || (want !== undefined && ready < want)) {
      r.notReady.push(`${ready} of ${want ?? replicas ?? 1} replicas ready`);
    }
  },
  '/PersistentVolumeClaim': (_o, status, r) => {
    if (status.phase !== 'Bound') r.notReady.push(`volume claim is ${String(status.phase ?? 'not bound')}`);
  },
  '/Service': (obj, status, r) => {
    const spec = (obj.spec as Dict | undefined) ?? {};
    if (spec.type === 'ExternalName') return;
    if (!spec.clusterIP) r.errors.push('service has no clusterIP');
    const ingress = (status.loadBalancer as Dict | undefined)?.ingress;
    const noExternal = !Array.isArray(spec.externalIPs) || spec.externalIPs.length === 0;
    if (spec.type === 'LoadBalancer' && noExternal && !(Array.isArray(ingress) && ingress.length > 0)) {
      r.notReady.push('load balancer has no ingress yet');
    }
  },
  'apps/DaemonSet': (obj, status, r) => {
    const strategy = ((obj.spec as Dict | undefined)?.updateStrategy as Dict | undefined) ?? {};
    if (strategy.type !== undefined && strategy.type !== 'RollingUpdate') return;
    const desired = num(status.desiredNumberScheduled) ?? 0;
    const maxU = (strategy.rollingUpdate as Dict | undefined)?.maxUnavailable ?? 1;
    const allowed =
      typeof maxU === 'string' && maxU.endsWith('%')
        ? Math.floor((desired * parseFloat(maxU)) / 100)
        : Number(maxU);
    if ((num(status.updatedNumberScheduled) ?? 0) !== desired) r.notReady.push('not all pods are updated');
    else if ((num(status.numberReady) ?? 0) < desired - allowed) r.notReady.push('not enough pods are ready');
  },
  'apps/StatefulSet': (obj, status, r) => {
    const spec = (obj.spec as Dict | undefined) ?? {};
    const strategy = (spec.updateStrategy as Dict | undefined) ?? {};
    if (strategy.type !== undefined && strategy.type !== 'RollingUpdate') return;
    const replicas = num(spec.replicas) ?? 1;
    if (replicas === 0) return;
    const partition = num((strategy.rollingUpdate as Dict | undefined)?.partition) ?? 0;
    if ((num(status.updatedReplicas) ?? 0) !== replicas - partition)
      r.notReady.push('not all replicas are updated');
    else if ((num(status.readyReplicas) ?? 0) !== replicas)
      r.notReady.push(`${num(status.readyReplicas) ?? 0} of ${replicas} replicas ready`);
  },
  'apiextensions.k8s.io/CustomResourceDefinition': (_o, status, r) => {
    if (condition(status, 'Established')?.status === 'True') return;
    // As Helm does: a name conflict is final, so the CRD counts as done; otherwise wait.
    if (condition(status, 'NamesAccepted')?.status !== 'False') r.notReady.push('CRD is not established yet');
  },
};
