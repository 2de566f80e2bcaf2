/**
 * Readiness of a live object (kluctl-semantics §6.1), with Kluctl's rules and its exact messages,
 * checked against `kluctl validate` on real objects of the test cluster
 * (test/parity/deploy-parity.test.ts): the `kluctl.io/validate-ignore` and `kluctl.io/is-ready`
 * annotations, "no status yet" for young objects whose type has a status, the generic observedGeneration
 * check, then the per-kind rules. A missing status field stops the checks of that object with
 * "<field> field not in status or empty" (the API server omits zero counters such as `readyReplicas`).
 * Pure: the caller says whether the object's type has a status at all (from the CRD schema or the
 * built-in types).
 */
import { parseGoBool } from '../util/go-bool.js';
import type { KubeObject } from '../ports.js';

/** Outcome of a readiness check. "Not ready" messages are errors in validate, warnings while waiting. */
export interface Readiness {
  readonly ready: boolean;
  /** Every finding in the order Kluctl reports them. */
  readonly findings: readonly Finding[];
  /** Why the object is not ready (empty when ready). */
  readonly notReady: string[];
  /** Hard failures (a failed Job, a crashed container): waiting cannot help. */
  readonly errors: string[];
  readonly warnings: string[];
  /** `validate-result.kluctl.io/*` annotations, as `{annotation, message}`. */
  readonly results: { annotation: string; message: string }[];
}

/** One finding of a readiness check. */
export interface Finding {
  readonly kind: 'error' | 'notReady' | 'warning';
  readonly message: string;
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
const UNKNOWN_STATUS_WARNING =
  "unable to determine if a status is expected. This usually happens when you don't have permission " +
  'to list CRDs or status sub-resources';

/** Thrown by a check that cannot go on (Kluctl stops checking the object at that point). */
class Stop extends Error {}

/** Collects the findings of one object; the per-kind rules below read the status through it. */
class Check {
  readonly findings: Finding[] = [];
  constructor(readonly status: Dict) {}

  add(kind: Finding['kind'], message: string): void {
    this.findings.push({ kind, message });
  }

  /** A condition by type (Kluctl's getCondition); `absent` decides what a missing one is. */
  condition(type: string, absent: 'ignore' | 'notReady', stop = false): Dict {
    const list = Array.isArray(this.status.conditions) ? (this.status.conditions as Dict[]) : [];
    const found = list.filter((c) => c?.type === type);
    if (found.length === 0) {
      if (absent === 'notReady') {
        this.add('notReady', `${type} condition not in status`);
        if (stop) throw new Stop();
      }
      return {};
    }
    if (found.length > 1) {
      this.add('error', `${type} condition found more then once`);
      if (stop) throw new Stop();
    }
    return found[0]!;
  }

  /** An integer status field; missing or not an integer is "not ready" and stops the checks. */
  int(field: string): number {
    if (!(field in this.status)) this.stop(`${field} field not in status or empty`);
    const v = this.status[field];
    if (typeof v !== 'number' || !Number.isInteger(v)) this.stop(`${field} field is not an int`);
    return v as number;
  }

  private stop(message: string): never {
    this.add('notReady', message);
    throw new Stop();
  }
}

/** Checks a live object. */
export function checkReadiness(obj: KubeObject, opts: ReadinessOptions): Readiness {
  const ann = obj.metadata.annotations ?? {};
  if (boolAnnotation(ann['kluctl.io/validate-ignore']) === true) return summarize([], []);
  const results = Object.entries(ann)
    .filter(([k]) => k.startsWith(RESULT_PREFIX))
    .map(([annotation, message]) => ({ annotation, message }));
  const status = (obj as { status?: unknown }).status;
  const check = new Check(isDict(status) ? status : {});
  try {
    const isReady = boolAnnotation(ann['kluctl.io/is-ready']);
    if (isReady !== undefined) {
      if (!isReady) check.add('notReady', 'kluctl.io/is-ready annotation is set to false');
    } else if (!isDict(status)) {
      checkMissingStatus(obj, opts, check);
    } else {
      const og = status.observedGeneration;
      const generation = obj.metadata.generation ?? -1;
      if (typeof og === 'number' && Number.isInteger(og) && og !== generation) {
        check.add('notReady', 'Waiting for reconciliation');
      } else {
        KIND_RULES[kindKey(obj)]?.(obj, check);
      }
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
  }
  return summarize(check.findings, results);
}

function checkMissingStatus(obj: KubeObject, opts: ReadinessOptions, check: Check): void {
  if (opts.statusExpected === undefined) check.add('warning', UNKNOWN_STATUS_WARNING);
  // Kluctl gives up waiting for a status after 15 s (some operators never write one).
  else if (opts.statusExpected && !olderThan(obj, opts.now, NO_STATUS_GRACE_MS))
    check.add('notReady', 'no status available yet');
}

function summarize(findings: readonly Finding[], results: Readiness['results']): Readiness {
  const of = (kind: Finding['kind']) => findings.filter((f) => f.kind === kind).map((f) => f.message);
  const errors = of('error');
  const notReady = of('notReady');
  return {
    ready: errors.length === 0 && notReady.length === 0,
    findings,
    notReady,
    errors,
    warnings: of('warning'),
    results,
  };
}

/** Kluctl reads boolean annotations with Go's strconv.ParseBool; anything else counts as absent. */
function boolAnnotation(v: string | undefined): boolean | undefined {
  return v === undefined ? undefined : parseGoBool(v);
}

function isDict(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function olderThan(obj: KubeObject, now: Date, ms: number): boolean {
  const created = Date.parse(obj.metadata.creationTimestamp ?? '');
  return Number.isFinite(created) && now.getTime() - created > ms;
}

function kindKey(obj: KubeObject): string {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0]! : '';
  return `${group}/${obj.kind}`;
}

/** A nested field of the object, or undefined. */
function field(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isDict(cur) ? cur[p] : undefined;
  return cur;
}

function intField(obj: unknown, ...path: string[]): number | undefined {
  const v = field(obj, ...path);
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Kluctl's reading of an int-or-percent: every string counts as a percentage (with or without `%`). */
function fromIntOrPercent(v: unknown, total: number): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v !== 'string') return undefined;
  const s = v.replaceAll('%', '');
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  return Math.trunc((Number(s) * total) / 100);
}

type Rule = (obj: KubeObject, c: Check) => void;

const KIND_RULES: Record<string, Rule> = {
  '/Pod': (_o, c) => {
    const statuses = c.status.containerStatuses;
    for (const cs of Array.isArray(statuses) ? (statuses as Dict[]) : []) {
      if (field(cs, 'state', 'terminated', 'reason') === 'Error')
        c.add('error', `container ${String(cs.name ?? '')} exited with error`);
    }
    const ready = c.condition('Ready', 'notReady');
    // A pod counts as ready only once it completed (hooks and one-shot pods).
    if (!(ready.status === 'False' && ready.reason === 'PodCompleted')) c.add('notReady', 'Not ready');
  },
  'batch/Job': (_o, c) => {
    const failed = c.condition('Failed', 'ignore');
    if (failed.status === 'True') {
      c.add('error', messageOr(failed, 'Failed'));
      return;
    }
    const complete = c.condition('Complete', 'ignore');
    if (complete.status !== 'True') c.add('notReady', messageOr(complete, 'Not completed'));
  },
  'apps/Deployment': (o, c) => {
    const want = intField(o, 'spec', 'replicas');
    if (want === undefined || want === 0) return;
    const ready = c.int('readyReplicas');
    const replicas = c.int('replicas');
    if (ready < replicas) c.add('notReady', `readyReplicas (${ready}) is less then replicas (${replicas})`);
  },
  '/PersistentVolumeClaim': (_o, c) => {
    const phase = c.status.phase;
    if (phase === undefined) {
      c.add('notReady', 'phase field not in status or empty');
    } else if (typeof phase !== 'string') {
      c.add('error', 'phase field is not a string');
    } else if (phase !== 'Bound') {
      c.add('notReady', 'Volume is not bound');
    }
  },
  '/Service': (o, c) => {
    const type = field(o, 'spec', 'type');
    if (type === 'ExternalName') return;
    if (!field(o, 'spec', 'clusterIP')) {
      c.add('error', 'Service does not have a cluster IP');
    } else if (type === 'LoadBalancer' && listLength(field(o, 'spec', 'externalIPs')) === 0) {
      if (listLength(field(c.status, 'loadBalancer', 'ingress')) === 0) c.add('notReady', 'Not ready');
    }
  },
  'apps/DaemonSet': (o, c) => {
    if (field(o, 'spec', 'updateStrategy', 'type') !== 'RollingUpdate') return;
    const updated = c.int('updatedNumberScheduled');
    const desired = c.int('desiredNumberScheduled');
    if (updated !== desired) {
      c.add(
        'notReady',
        `DaemonSet is not ready. ${updated} out of ${desired} expected pods have been scheduled`,
      );
      return;
    }
    // Kluctl reads maxUnavailable from spec.updateStrategy (not .rollingUpdate), so it is 1 unless
    // set there; an unreadable value allows every pod to be unavailable.
    const maxU = fromIntOrPercent(field(o, 'spec', 'updateStrategy', 'maxUnavailable') ?? 1, desired);
    const expected = desired - (maxU ?? desired);
    const ready = c.int('numberReady');
    if (ready < expected)
      c.add('notReady', `DaemonSet is not ready. ${ready} out of ${expected} expected pods are ready`);
  },
  'apps/StatefulSet': (o, c) => {
    if (field(o, 'spec', 'updateStrategy', 'type') !== 'RollingUpdate') return;
    const partition = intField(o, 'spec', 'updateStrategy', 'rollingUpdate', 'partition') ?? 0;
    const replicas = intField(o, 'spec', 'replicas') ?? 1;
    if (replicas === 0) return;
    const updated = c.int('updatedReplicas');
    const expected = replicas - partition;
    if (updated !== expected) {
      c.add(
        'notReady',
        `StatefulSet is not ready. ${updated} out of ${expected} expected pods have been scheduled`,
      );
      return;
    }
    const ready = c.int('readyReplicas');
    if (ready !== replicas)
      c.add('notReady', `StatefulSet is not ready. ${ready} out of ${replicas} expected pods are ready`);
  },
  'apiextensions.k8s.io/CustomResourceDefinition': (_o, c) => {
    // As Helm does: a name conflict is final, so the CRD counts as done; otherwise wait.
    if (c.condition('Established', 'ignore').status === 'True') return;
    if (c.condition('NamesAccepted', 'notReady', true).status !== 'False')
      c.add('notReady', 'CRD is not ready');
  },
  'cluster.x-k8s.io/MachineDeployment': (_o, c) => {
    for (const type of ['Ready', 'Available']) {
      const cond = c.condition(type, 'notReady', true);
      if (cond.status !== 'True') c.add('notReady', messageOr(cond, 'Not ready'));
    }
    const ready = c.int('readyReplicas');
    const replicas = c.int('replicas');
    const unavailable = intField(c.status, 'unavailableReplicas') ?? 0;
    if (ready < replicas) c.add('notReady', `readyReplicas (${ready}) is less then replicas (${replicas})`);
    if (unavailable !== 0) c.add('notReady', `unavailableReplicas (${unavailable}) != 0`);
  },
};

function messageOr(cond: Dict, fallback: string): string {
  return typeof cond.message === 'string' && cond.message !== '' ? cond.message : fallback;
}

function listLength(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}
