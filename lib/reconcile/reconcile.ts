/**
 * One reconcile of one KluctlDeployment, as a flat list of narrated steps (kluctl-semantics §10.2):
 * read the object, take the lease, serve a manual request (request-pass.ts) or work on the project
 * (project-steps.ts: prepare, plan, deploy/prune, validate, detect drift), and always write status at
 * the end, also when a step failed or the deadline (deadline.ts) cut the run short. The cluster is
 * only touched after prepare succeeded, so a broken commit leaves cluster and state as they were.
 * Status is owned by status-writer.ts, the memory between runs by memory.ts.
 */
import { randomUUID } from 'node:crypto';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import { intervalMs, retryInterval, validateEnabled } from '../api/spec-defaults.js';
import type { CommandResultSummary, KluctlDeployment, ProjectKey } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Clock, Logger, ObjectRef } from '../ports.js';
import { dropLease, takeLease } from '../state/json-state.js';
import type { JsonVersion } from '../state/json-state.js';
import { stateKey as stateKeyOf } from '../state/layout.js';
import { startRunDeadline } from './deadline.js';
import type { DeadlineError } from './deadline.js';
import { ensureFinalizer, finalizeDeletion } from './finalize.js';
import {
  combineCommandErrors,
  finishedRequest,
  hasRequest,
  pendingCommandRequest,
  takeRequest,
} from './manual-requests.js';
import type { TakenRequest } from './manual-requests.js';
import { loadMemory, rememberPartial } from './memory.js';
import type { ReconcileMemory } from './memory.js';
import type { ReconcileOutcome } from './outcome.js';
import { reconcileProject } from './project-steps.js';
import type { ProjectRun } from './project-steps.js';
import { serveCommandRequest } from './request-pass.js';
import { captureLog, keepsLog, storeReconcileLog } from './reconcile-log.js';
import type { ReconcileDeps, Run } from './run.js';
import { RunReport } from './run-report.js';
import { prepareErrorText, projectKeyOf } from './status.js';
import { StatusWriter } from './status-writer.js';

/** Entries of {@link ReconcileDeps.stateVersions} kept at most (all are dropped beyond). */
const MAX_STATE_VERSIONS = 10_000;

/** Which deployment to reconcile, and under which limits. */
export interface ReconcileRequest {
  readonly namespace: string;
  readonly name: string;
  readonly reconcileId?: string;
  /**
   * Id of the cluster `deps.kube` reaches (the queue message's); it keys the state. Default: the UID of
   * its kube-system namespace, read through `deps.kube`.
   */
  readonly clusterId?: string;
  /**
   * When the host stops this run (a function's remaining time less what writing status and releasing
   * the lease take). Work stops at the earlier of this and `spec.timeout`; absent: only the latter.
   */
  readonly deadline?: Date;
  /**
   * The resourceVersion of the deployment as the caller saw it when it decided to reconcile (the
   * runner's watch): a client that keeps a watched copy answers the first read from it only when the
   * copy is that new, so the run never reconciles an older spec than the one it was started for.
   */
  readonly minResourceVersion?: string;
}

export type { ReconcileOutcome } from './outcome.js';
export type { ReconcileDeps } from './run.js';

/**
 * How long the lease outlives the deadline: the status write and lease release that follow the stop.
 * A run killed right at its deadline therefore blocks the next one for at most this long.
 */
export const LEASE_GRACE_MS = 30_000;

/** At most this many runs follow each other at once (a request of each kind, then the reconcile). */
const MAX_RUNS = 6;

/**
 * Reconciles a deployment. A run that served a manual request is followed at once by the next, with a
 * fresh read, reconcile id and deadline, as Kluctl's controller requeues it: pending requests are
 * served one per run, then the full reconcile runs (and rebuilds Ready). Throws only when the object,
 * the lease or the status cannot be read or written.
 */
export async function reconcileDeployment(
  deps: ReconcileDeps,
  req: ReconcileRequest,
): Promise<ReconcileOutcome> {
  let outcome = await reconcileRun(deps, req);
  let deployed = outcome.deployed;
  for (let n = 1; outcome.requeue && n < MAX_RUNS; n++) {
    if (req.deadline && deps.clock.now().getTime() >= req.deadline.getTime()) break;
    const { reconcileId: _first, ...next } = req;
    outcome = await reconcileRun(deps, next);
    deployed ||= outcome.deployed;
  }
  return { ...outcome, deployed };
}

/** One run: read, lease, and the steps of {@link reconcileLeased}. */
async function reconcileRun(deps: ReconcileDeps, req: ReconcileRequest): Promise<ReconcileOutcome> {
  const reconcileId = req.reconcileId ?? randomUUID();
  // The run's lines are also kept per reconcile id for `gitops logs` (reconcile-log.ts).
  const captured = captureLog(
    deps.logger.child({ name: req.name, namespace: req.namespace, reconcileID: reconcileId }),
    () => deps.clock.now(),
  );
  const log = captured.logger;
  const started = deps.clock.now();
  const ref = kdRef(req);

  // 1. Read the object fresh; it may be gone already.
  const fresh = req.minResourceVersion ? { minResourceVersion: req.minResourceVersion } : {};
  const kd = (await deps.kube.get(ref, fresh)) as KluctlDeployment | undefined;
  if (!kd) return { outcome: 'gone', message: 'KluctlDeployment not found', deployed: false };

  // 2. One reconcile per deployment at a time, across processes and functions, for as long as this
  // run may work plus the time to write status: a run killed at its deadline blocks the next briefly.
  const clusterId = req.clusterId ?? (await deps.kube.clusterId());
  const stateKey = stateKeyOf(clusterId, req.namespace, req.name);
  const deadline = startRunDeadline({
    clock: deps.clock,
    started,
    spec: kd.spec,
    ...(req.deadline ? { hostDeadline: req.deadline } : {}),
  });
  const holder = `${deps.holder}/${reconcileId}`;
  const leaseMs = deadline.at.getTime() - started.getTime() + LEASE_GRACE_MS;
  try {
    const versions = deps.stateVersions;
    const remembered = versions?.get(stateKey) as JsonVersion<ReconcileMemory> | undefined;
    versions?.delete(stateKey);
    const leased = await takeLease(deps.store, stateKey, holder, leaseMs, started, remembered);
    if (!leased) {
      log.info('another reconcile holds the lease; skipping');
      return { outcome: 'busy', message: 'another reconcile is running', deployed: false };
    }
    // The state document as this run last wrote it: later steps start from it instead of reading
    // it again (each write is still conditional on its ETag).
    const state = { known: leased };
    try {
      const report = new RunReport(deps, kd, started);
      const run: Run = {
        deps,
        kd,
        ref,
        reconcileId,
        clusterId,
        stateKey,
        state,
        deadline,
        started,
        log,
        report,
      };
      const outcome = await reconcileLeased(run);
      if (outcome.outcome === 'finalized') report.deleted();
      if (keepsLog(outcome, captured.lines)) {
        const id = { clusterId, namespace: req.namespace, name: req.name };
        const entry = { reconcileId, lines: captured.lines, endTime: deps.clock.now() };
        await storeReconcileLog(deps.store, id, entry, log);
      }
      return outcome;
    } finally {
      await dropLease(deps.store, stateKey, holder, state.known).then(
        ({ version }) => {
          if (!versions) return;
          if (versions.size >= MAX_STATE_VERSIONS) versions.clear();
          versions.set(stateKey, version);
        },
        (err: unknown) => log.warn('releasing the lease failed', { error: errorMessage(err) }),
      );
    }
  } finally {
    deadline.dispose();
  }
}

async function reconcileLeased(r: Run): Promise<ReconcileOutcome> {
  const { deps, ref, reconcileId, clusterId, deadline, started, log, report } = r;
  // The deployment as this run sees it: a reconcile request's overrides apply to it (step 7).
  let kd = r.kd;

  // 3. A deleted deployment runs the finalizer; any other gets ours first.
  if (kd.metadata.deletionTimestamp) {
    const { message } = await finalizeDeletion(
      deps,
      kd,
      { reconcileId, clusterId, stateKey: r.stateKey },
      log,
    );
    return { outcome: 'finalized', message, deployed: false };
  }
  await ensureFinalizer(deps.kube, ref, kd);

  const generation = kd.metadata.generation ?? 0;
  const status = new StatusWriter(deps.kube, ref, kd, deps.clock);
  let outcome: ReconcileOutcome = { outcome: 'failed', message: 'reconcile did not finish', deployed: false };
  // A run that serves a manual request has not reconciled the spec: observedGeneration stays.
  let observe = true;
  let request: TakenRequest | undefined;
  // What goes into the reconcile request's commandError: the failures of this run's commands.
  const commandErrors: (string | undefined)[] = [];
  // Kluctl requeues by the plan (interval, deployInterval, validateInterval) also after a failed deploy
  // or validate; only failures before the plan (prepare) use retryInterval.
  const progress: ProjectRun['progress'] = {
    deployed: false,
    nextRunAt: after(started, intervalMs(kd.spec)),
  };
  const retryAt = () => after(started, retryInterval(kd.spec));
  const failPrepare = (err: unknown, commit?: string): ReconcileOutcome => {
    log.warn('prepare failed', { error: errorMessage(err) });
    status.failPrepare(err, commit);
    commandErrors.push(prepareErrorText(err));
    return {
      outcome: 'failed',
      message: `prepare failed: ${errorMessage(err)}`,
      deployed: progress.deployed,
      nextRunAt: retryAt(),
    };
  };
  /** The deadline cut the run short: say so in status and come back (a host deadline: retryInterval). */
  const stop = (err: DeadlineError, deploy?: CommandResultSummary): ReconcileOutcome => {
    log.warn('stopped at the deadline', { step: err.step, by: err.by, deadline: deadline.at.toISOString() });
    status.stopped(err, deploy);
    commandErrors.push(err.message);
    const retry = err.by === 'deadline' || err.step === 'prepare';
    return {
      outcome: 'failed',
      message: status.ready()?.message ?? err.message,
      deployed: progress.deployed,
      nextRunAt: retry ? retryAt() : progress.nextRunAt,
      stopped: { step: err.step, by: err.by },
    };
  };
  try {
    // 4. Tell the user we are at it, keeping the old Ready until real work starts.
    await status.initializing();

    // 5. The project key is written right away, as Kluctl does (its web UI shows it early).
    let projectKey: ProjectKey;
    try {
      projectKey = projectKeyOf(kd.spec);
    } catch (err) {
      return (outcome = failPrepare(err));
    }
    await status.patchChanged({ projectKey });

    // 6. A manual request (diff, deploy, prune or validate, in Kluctl's order) is served alone, also
    // while suspended; the next run follows at once (reconcileDeployment).
    const command = pendingCommandRequest(kd);
    if (command) {
      observe = false;
      return (outcome = await serveCommandRequest({ ...r, status, failPrepare }, command));
    }

    // 7. A reconcile request (`kluctl gitops reconcile`) runs this reconcile with its overrides, even
    // when suspended; its record is completed with the run's errors (step 14).
    if (hasRequest(kd, 'reconcile')) {
      try {
        request = await takeRequest(deps.kube, ref, kd, 'reconcile', { reconcileId, now: deps.clock.now() });
      } catch (err) {
        return (outcome = failPrepare(err));
      }
      log.info('processing kluctl.io/request-reconcile', { requestValue: request.request.requestValue });
      await status.patch({ reconcileRequestResult: request.started });
      kd = request.kd;
    }

    // Suspended deployments are not reconciled; Ready is rebuilt from the last results (step 13).
    if (!r.kd.spec.suspend || request) {
      // 8.–12. Prepare, plan, deploy, validate, detect drift, remember (project-steps.ts).
      const early = await reconcileProject({
        run: r,
        kd,
        status,
        projectKey,
        request,
        commandErrors,
        failPrepare,
        stop,
        progress,
      });
      if (early) return (outcome = early);
    } else {
      // Kluctl's observedGeneration moves while suspended, so a spec change made then does not by
      // itself redeploy on a later reconcile request.
      const loaded = await loadMemory(deps.store, r.stateKey, kd.status, kd.metadata.uid, r.state.known);
      if (loaded.memory.lastReconciledGeneration !== generation) {
        r.state.known = await rememberPartial(
          deps.store,
          r.stateKey,
          loaded,
          { ...(kd.metadata.uid ? { uid: kd.metadata.uid } : {}), generation },
          log,
          r.state.known,
        );
      }
    }

    // 13. Ready from the last results, as Kluctl builds it (also for suspended deployments).
    const ready = status.finish(validateEnabled(kd.spec));
    const suspended = r.kd.spec.suspend && !request;
    outcome = {
      outcome: suspended ? 'suspended' : ready.status === 'True' ? 'succeeded' : 'failed',
      message: suspended ? 'deployment is suspended' : ready.message,
      deployed: progress.deployed,
      nextRunAt: progress.nextRunAt,
    };
    return outcome;
  } catch (err) {
    // Unexpected failures (the API server or state store went away) are reported like Kluctl reports
    // every failure outside its commands: as a failed prepare, with the full text in lastPrepareError.
    return (outcome = failPrepare(err));
  } finally {
    // 14. Status has one owner and is always written, observedGeneration included (a reconcile
    // request's record is completed in the same write); then the events and metrics of the run.
    if (request) {
      const commandError = combineCommandErrors(commandErrors);
      status.set({
        reconcileRequestResult: finishedRequest(request.started, deps.clock.now(), {
          ...(commandError ? { commandError } : {}),
        }),
      });
    }
    try {
      await status.flush({ observe });
      await report.finished({
        status: status.status,
        requested: request !== undefined,
        ...(outcome.nextRunAt ? { nextRunAt: outcome.nextRunAt } : {}),
      });
    } finally {
      await progress.prepared?.cleanup();
      logFinished(log, deps.clock, started, outcome);
    }
  }
}

/** The one summary line per reconcile (STYLE.md rule 9). */
function logFinished(log: Logger, clock: Clock, started: Date, outcome: ReconcileOutcome): void {
  const now = clock.now().getTime();
  const secs = ((now - started.getTime()) / 1000).toFixed(1);
  const next = outcome.nextRunAt
    ? `, next run in ${Math.max(0, Math.round((outcome.nextRunAt.getTime() - now) / 1000))}s`
    : '';
  log.info(`Reconciliation finished in ${secs}s${next}`, {
    outcome: outcome.outcome,
    deployed: outcome.deployed,
    ...(outcome.stopped ? { stopped: outcome.stopped.step, stoppedBy: outcome.stopped.by } : {}),
  });
}

function kdRef(req: ReconcileRequest): ObjectRef {
  return {
    group: GITOPS_GROUP,
    version: GITOPS_VERSION,
    kind: KD_KIND,
    name: req.name,
    namespace: req.namespace,
  };
}

function after(from: Date, ms: number): Date {
  return new Date(from.getTime() + Math.max(0, ms));
}
