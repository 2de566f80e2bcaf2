/**
 * What a reconcile remembers between runs in the state store (`state.json`, lib/state/layout.ts): the
 * plan's memory (plan.ts) and the commit, next to the lease of lib/state/json-state.ts. Read before
 * planning, written after the run with a read-modify-write that keeps the lease.
 */
import type { KluctlDeploymentStatus } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Logger, StateStore } from '../ports.js';
import type { JsonVersion, ReconcileState } from '../state/json-state.js';
import { readJson, updateJson } from '../state/json-state.js';
import { hasDeployMemory, memoryFromStatus } from './plan.js';
import type { DeployMemory } from './plan.js';

/** The whole reconcile state document of one deployment: plan memory, commit and lease. */
export interface ReconcileMemory extends DeployMemory, ReconcileState {
  /**
   * resourceVersions (by refKey) of the objects the last deploy or drift detection saw match their
   * rendered form: the next drift detection skips them while they stay at that version (drift.ts).
   */
  readonly resourceVersions?: Readonly<Record<string, string>>;
  /**
   * UID of the KluctlDeployment the memory is of. An object deleted and created again under the same
   * name has a new UID and starts without memory, as it starts with an empty status in Kluctl.
   */
  readonly uid?: string;
}

/** The memory a run plans from. */
export interface LoadedMemory {
  /** Stored memory over what the status remembers (for deployments new to our state). */
  readonly memory: DeployMemory;
  /** What came from the status; kept on the next write so the memory stays complete. */
  readonly seeded: DeployMemory;
  /** See {@link ReconcileMemory.resourceVersions}; absent for a deployment new to our state. */
  readonly resourceVersions?: Readonly<Record<string, string>>;
}

/**
 * The memory, from `known` (the document as the lease wrote it) or else read; a deployment new to our
 * state (e.g. one Kluctl's controller reconciled so far) is planned from what its status remembers,
 * as Kluctl would.
 */
export async function loadMemory(
  store: StateStore,
  key: string,
  status: KluctlDeploymentStatus | undefined,
  uid?: string,
  known?: JsonVersion<ReconcileMemory>,
): Promise<LoadedMemory> {
  const { resourceVersions, ...stored } =
    ownMemory((known ?? (await readJson<ReconcileMemory>(store, key))).value, uid) ?? {};
  const seeded = hasDeployMemory(stored) ? {} : memoryFromStatus(status);
  return { memory: { ...seeded, ...stored }, seeded, ...(resourceVersions ? { resourceVersions } : {}) };
}

/** What one run did, for {@link rememberRun}. */
export interface RunRecord {
  /** UID of the KluctlDeployment (kept, so that a re-created object does not inherit the memory). */
  readonly uid?: string;
  readonly objectsHash: string;
  readonly generation: number;
  readonly manualObjectsHash: string | undefined;
  readonly commit: string;
  /** End of this run's deploy, when it deployed. */
  readonly deployEnd?: string;
  /** End of this run's validate, when it validated. */
  readonly validateEnd?: string;
  /** Set when this run's deploy was stopped at the host's deadline: the next run deploys again. */
  readonly deployInterrupted?: string;
  /** The versions the next drift detection may skip (replacing the stored ones); absent: unchanged. */
  readonly resourceVersions?: Readonly<Record<string, string>>;
}

/**
 * Records the run; a failed write is logged, not fatal (the status holds the results, and the next
 * reconcile plans from it when the memory lags). Starts from `known` (see UpdateJsonOptions.known) and
 * returns the document as stored, or undefined when the write failed.
 */
export async function rememberRun(
  store: StateStore,
  key: string,
  loaded: LoadedMemory,
  run: RunRecord,
  log: Logger,
  known?: JsonVersion<ReconcileMemory>,
): Promise<JsonVersion<ReconcileMemory> | undefined> {
  return updateJson<ReconcileMemory>(
    store,
    key,
    (m) => {
      // The memory of an earlier object of the same name goes; the lease is this run's.
      const own = ownMemory(m, run.uid) ?? (m?.lease ? { lease: m.lease } : {});
      const { deployInterrupted: _previous, ...current } = { ...loaded.seeded, ...own };
      // A finished deploy clears an earlier interruption; a run without a deploy keeps it.
      const interrupted = run.deployInterrupted ?? (run.deployEnd ? undefined : _previous);
      return {
        ...current,
        ...(run.uid ? { uid: run.uid } : {}),
        lastObjectsHash: run.objectsHash,
        lastReconciledGeneration: run.generation,
        lastManualObjectsHash: run.manualObjectsHash,
        lastCommit: run.commit,
        ...(run.deployEnd ? { lastDeployEndTime: run.deployEnd } : {}),
        ...(run.validateEnd ? { lastValidateEndTime: run.validateEnd } : {}),
        ...(interrupted ? { deployInterrupted: interrupted } : {}),
        ...(run.resourceVersions ? { resourceVersions: run.resourceVersions } : {}),
      };
    },
    known ? { known } : {},
  ).catch((err: unknown) => {
    log.warn('writing the reconcile state failed', { error: errorMessage(err) });
    return undefined;
  });
}

/**
 * The stored memory when it belongs to the object with `uid`; undefined when it is of an earlier
 * object of the same name. Memory written before UIDs were recorded counts as the object's own.
 */
function ownMemory(m: ReconcileMemory | undefined, uid: string | undefined): ReconcileMemory | undefined {
  if (!m || !uid || !m.uid || m.uid === uid) return m;
  return undefined;
}

/**
 * Forgets a deployment (its finalizer ran): the memory and lease go, so an object created again under
 * the same name is reconciled like a new one. Kluctl's controller drops its in-memory state alike.
 */
export async function forgetMemory(store: StateStore, key: string): Promise<void> {
  await store.delete(key);
}

/** What a run that did not reconcile the rendered objects leaves in the memory. */
export interface PartialRecord {
  /** UID of the KluctlDeployment (a re-created object does not inherit the memory). */
  readonly uid?: string;
  /** End of a manual request's deploy or prune. */
  readonly deployEnd?: string;
  /** End of a manual request's validate. */
  readonly validateEnd?: string;
  /** The generation a suspended reconcile saw (Kluctl's observedGeneration moves while suspended). */
  readonly generation?: number;
}

/**
 * Records a run that did not reconcile the rendered objects: a manual request's deploy, prune or
 * validate moves the end times the intervals count from (as Kluctl's `lastDeployResult` and
 * `lastValidateResult` do), but not the objects hash or approval, since a manual deploy does not count
 * as deploying the rendered objects; a suspended reconcile records the generation it saw. Starts from
 * `known` like {@link rememberRun} and returns the document as stored (`known` when there was nothing
 * to record, undefined when the write failed, which is logged).
 */
export async function rememberPartial(
  store: StateStore,
  key: string,
  loaded: LoadedMemory,
  run: PartialRecord,
  log: Logger,
  known?: JsonVersion<ReconcileMemory>,
): Promise<JsonVersion<ReconcileMemory> | undefined> {
  if (!run.deployEnd && !run.validateEnd && run.generation === undefined) return known;
  return updateJson<ReconcileMemory>(
    store,
    key,
    (m) => ({
      ...loaded.seeded,
      // The memory of an earlier object of the same name goes; the lease is this run's.
      ...(ownMemory(m, run.uid) ?? (m?.lease ? { lease: m.lease } : {})),
      ...(run.uid ? { uid: run.uid } : {}),
      ...(run.deployEnd ? { lastDeployEndTime: run.deployEnd } : {}),
      ...(run.validateEnd ? { lastValidateEndTime: run.validateEnd } : {}),
      ...(run.generation !== undefined ? { lastReconciledGeneration: run.generation } : {}),
    }),
    known ? { known } : {},
  ).catch((err: unknown) => {
    log.warn('writing the reconcile state failed', { error: errorMessage(err) });
    return undefined;
  });
}
