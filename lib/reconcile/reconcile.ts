/**
 * One reconcile of one KluctlDeployment, as a flat list of narrated steps (kluctl-semantics §10.2):
 * read the object, take the lease, serve a manual request (request-pass.ts) or prepare (clone +
 * render), plan, deploy/prune, validate, detect drift, and always write status at the end, also when a
 * step failed or the deadline (deadline.ts) cut the run short. The cluster is only touched after
 * prepare succeeded, so a broken commit leaves cluster and state as they were. Status is owned by
 * status-writer.ts, the memory between runs by memory.ts.
 */
import { randomUUID } from 'node:crypto';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../api/constants.js';
import { deployMode, intervalMs, retryInterval, validateEnabled } from '../api/spec-defaults.js';
import type { CommandResultSummary, KluctlDeployment, ProjectKey, TargetKey } from '../api/types.js';
import { summarizeResult } from '../deploy/command-result.js';
import type { CommandResult } from '../deploy/command-result.js';
import { errorMessage } from '../errors.js';
import type { Clock, Logger, ObjectRef, StateStore } from '../ports.js';
import type { KluctlResultStore } from '../results/kluctl-result-store.js';
import { dropLease, takeLease } from '../state/json-state.js';
import type { JsonVersion } from '../state/json-state.js';
import { stateKey as stateKeyOf } from '../state/layout.js';
import { startRunDeadline } from './deadline.js';
import type { DeadlineError, RunDeadline } from './deadline.js';
import { runDeployStep } from './deploy-step.js';
import type { DeployStepInput } from './deploy-step.js';
import { detectDrift, versionsBeforeDiff } from './drift.js';
import { ensureFinalizer, finalizeDeletion } from './finalize.js';
import {
  combineCommandErrors,
  commandErrorText,
  finishedRequest,
  hasRequest,
  pendingCommandRequest,
  takeRequest,
} from './manual-requests.js';
import type { TakenRequest } from './manual-requests.js';
import { loadMemory, rememberPartial, rememberRun } from './memory.js';
import type { ReconcileMemory } from './memory.js';
import { nextReconcileAt, planReconcile } from './plan.js';
import { PrepareError, prepareProject } from './prepare.js';
import type { PrepareDeps, PreparedProject } from './prepare.js';
import type { ReconcileOutcome } from './outcome.js';
import { serveCommandRequest } from './request-pass.js';
import { captureLog, keepsLog, storeReconcileLog } from './reconcile-log.js';
import { keepCommandResult, keepValidateResult } from './results.js';
import { RunReport } from './run-report.js';
import type { ReportDeps } from './run-report.js';
import { prepareErrorText, projectKeyOf } from './status.js';
import { StatusWriter } from './status-writer.js';
import { readinessRetryLimit, readinessWaitMessage, validateUntilReady } from './validate.js';

/**
 * Everything a reconcile needs, built once per process (and cluster) by a composition root. `kube` is
 * the client of the cluster the KluctlDeployment lives in (status, finalizer, credential Secrets); the
 * rest of prepare's dependencies are the tools, Git and the clients of target clusters.
 */
export interface ReconcileDeps extends Omit<PrepareDeps, 'sops' | 'signal'>, Omit<ReportDeps, 'kube'> {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Identifies this worker in leases (each run adds its reconcile id). */
  readonly holder: string;
  /**
   * The state documents as this process last left them, by key: a warm host's next run of the same
   * deployment writes its lease without reading first (conditionally on the remembered ETag, so a
   * stale entry only costs a read). Default none: every run reads.
   */
  readonly stateVersions?: Map<string, JsonVersion<unknown>>;
  /** Drift detection on every full reconcile, as Kluctl always does; default true (off: benchmarks). */
  readonly driftDetection?: boolean;
  /**
   * Kluctl's result store in the deployment's cluster (Secrets in `kluctl-results`), where Kluctl's CLI
   * reads the results it prints; absent: results go to `store` only.
   */
  readonly kluctlResults?: KluctlResultStore;
}

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
}

export type { ReconcileOutcome } from './outcome.js';

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
  const kd = (await deps.kube.get(ref)) as KluctlDeployment | undefined;
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

/** One run, as the steps after the lease see it. */
interface Run {
  readonly deps: ReconcileDeps;
  readonly kd: KluctlDeployment;
  readonly ref: ObjectRef;
  readonly reconcileId: string;
  readonly clusterId: string;
  readonly stateKey: string;
  /** The state document as this run last wrote it (updated by the memory write). */
  readonly state: { known: JsonVersion<ReconcileMemory> | undefined };
  readonly deadline: RunDeadline;
  readonly started: Date;
  readonly log: Logger;
  /** Events and metrics of the run. */
  readonly report: RunReport;
}

async function reconcileLeased(r: Run): Promise<ReconcileOutcome> {
  const { deps, ref, reconcileId, clusterId, deadline, started, log, report } = r;
  // The deployment as this run sees it: a reconcile request's overrides apply to it (step 7).
  let kd = r.kd;
  const { name, namespace } = ref as { name: string; namespace: string };

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
  let prepared: PreparedProject | undefined;
  let deployed = false;
  // A run that serves a manual request has not reconciled the spec: observedGeneration stays.
  let observe = true;
  let request: TakenRequest | undefined;
  // What goes into the reconcile request's commandError: the failures of this run's commands.
  const commandErrors: (string | undefined)[] = [];
  // Kluctl requeues by the plan (interval, deployInterval, validateInterval) also after a failed deploy
  // or validate; only failures before the plan (prepare) use retryInterval.
  let nextRunAt = after(started, intervalMs(kd.spec));
  const retryAt = () => after(started, retryInterval(kd.spec));
  const failPrepare = (err: unknown, commit?: string): ReconcileOutcome => {
    log.warn('prepare failed', { error: errorMessage(err) });
    status.failPrepare(err, commit);
    commandErrors.push(prepareErrorText(err));
    return {
      outcome: 'failed',
      message: `prepare failed: ${errorMessage(err)}`,
      deployed,
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
      deployed,
      nextRunAt: retry ? retryAt() : nextRunAt,
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
      // 8. Prepare: clone, render, hash. Failures are PrepareFailed and touch nothing.
      if (deadline.reached()) return (outcome = stop(deadline.error('prepare')));
      try {
        // The reconcile's dependencies are a superset of prepare's; the deadline stops rendering.
        prepared = await prepareProject(
          { ...deps, signal: deadline.signal },
          { name, namespace, spec: kd.spec },
        );
      } catch (err) {
        const commit = err instanceof PrepareError ? err.commit : undefined;
        // Kluctl reports the commit it checked out also when a later part of prepare failed.
        if (commit) status.set({ observedCommit: commit });
        return (outcome = deadline.reached() ? stop(deadline.error('prepare')) : failPrepare(err));
      }
      const rendered = prepared.rendered;
      status.set({ observedCommit: prepared.commit });
      // Kluctl omits an empty lastPrepareError: null removes it (RFC 7386).
      await status.patch({ lastPrepareError: null });
      // The target cluster (spec.kubeConfig may name another than ours) and its id.
      const targetKey: TargetKey = {
        targetName: rendered.target.name,
        clusterId: prepared.targetClusterId,
        ...(rendered.discriminator ? { discriminator: rendered.discriminator } : {}),
      };
      await status.patchChanged({ targetKey });
      const target = prepared.target.kube;

      // 9. Plan against the persisted memory (or, for a deployment new to our state, its status).
      const loaded = await loadMemory(deps.store, r.stateKey, kd.status, kd.metadata.uid, r.state.known);
      const plan = planReconcile({
        spec: kd.spec,
        generation,
        memory: loaded.memory,
        objectsHash: rendered.objectsHash,
        now: deps.clock.now(),
      });
      log.info('planned', {
        deploy: plan.deploy,
        deployReason: plan.deployReason,
        awaitingApproval: plan.awaitingApproval,
        validate: plan.validate,
        validateReason: plan.validateReason,
      });
      nextRunAt = plan.nextRunAt;
      // lastObjectsHash is the hash a user approves through spec.manualObjectsHash; both are recorded
      // also when nothing was deployed (null removes a withdrawn approval, RFC 7386).
      status.set({
        lastObjectsHash: rendered.objectsHash,
        lastManualObjectsHash: kd.spec.manualObjectsHash ?? null,
        ...(validateEnabled(kd.spec) ? {} : { lastValidateResult: null }),
      });

      // 10. Deploy (and prune) when the plan says so; the deadline ends waits and stops new applies.
      const stepInput: DeployStepInput = {
        kd,
        rendered,
        commit: prepared.commit,
        reconcileId,
        clusterId,
        projectKey,
        signal: deadline.signal,
        ...(prepared.ref ? { ref: prepared.ref } : {}),
        ...(request?.request.overridesPatch ? { overridesPatch: request.request.overridesPatch } : {}),
      };
      let deployStopped = false;
      let deployResult: CommandResult | undefined;
      if (plan.deploy) {
        if (deadline.reached()) return (outcome = stop(deadline.error('deploy')));
        await status.progressing(`Performing kluctl ${deployMode(kd.spec)}`);
        const t0 = deps.clock.now().getTime();
        const result = (deployResult = await runDeployStep(target, deps.clock, stepInput));
        const summary = summarizeResult(result);
        status.set({ lastDeployResult: summary });
        deployed = true;
        deployStopped = deadline.reached();
        commandErrors.push(commandErrorText('deploy', result.errors, result.warnings));
        await keepCommandResult(deps, { clusterId, namespace, name }, result);
        await report.commandFinished(summary, deployMode(kd.spec), (deps.clock.now().getTime() - t0) / 1000);
        log.info('deployed', {
          applied: status.status.lastDeployResult?.appliedObjects,
          errors: result.errors.length,
          deleted: status.status.lastDeployResult?.deletedObjects,
        });
      }

      // 11. Validate, unless the deadline came first. Right after a real deploy, a validate failing only
      // on readiness is repeated until the workloads are ready, for up to retryInterval (beyond Kluctl,
      // validate.ts).
      const validated = plan.validate && !deadline.reached();
      if (validated) {
        const step = 'Performing kluctl validate';
        await status.progressing(step);
        const t0 = deps.clock.now().getTime();
        const validateResult = await validateUntilReady(
          target,
          deps.clock,
          {
            objects: rendered.items.filter((i) => !i.onlyRender).flatMap((i) => i.objects),
            projectKey,
            targetKey,
            reconcileId,
            renderedObjectsHash: rendered.objectsHash,
            kluctlDeployment: { name, namespace, clusterId },
          },
          {
            limitMs: readinessRetryLimit({
              deployed: plan.deploy && !kd.spec.dryRun,
              retryIntervalMs: retryInterval(kd.spec),
              remainingMs: deadline.at.getTime() - deps.clock.now().getTime(),
            }),
            signal: deadline.signal,
            onWait: (w) => status.progressing(step, readinessWaitMessage(w)),
          },
        );
        const overridesPatch = request?.request.overridesPatch;
        const lastValidateResult = overridesPatch ? { ...validateResult, overridesPatch } : validateResult;
        status.set({ lastValidateResult });
        commandErrors.push(commandErrorText('validate', validateResult.errors, validateResult.warnings));
        await keepValidateResult(deps, lastValidateResult);
        report.validated((deps.clock.now().getTime() - t0) / 1000);
      }

      // 12. Drift detection, as Kluctl on every full reconcile: a dry-run diff that skips the objects
      // still at the resourceVersion the deploy or the last diff saw matching.
      let resourceVersions = versionsBeforeDiff({
        remembered: loaded.resourceVersions,
        lastObjectsHash: loaded.memory.lastObjectsHash,
        objectsHash: rendered.objectsHash,
        ...(deployResult
          ? { deploy: { dryRun: kd.spec.dryRun ?? false, objects: deployResult.objects } }
          : {}),
      });
      if (deps.driftDetection !== false && !deadline.reached()) {
        await status.progressing('Performing drift detection');
        const drift = await detectDrift(target, deps.clock, {
          ...stepInput,
          skipResourceVersions: resourceVersions,
        });
        // A diff cut short by the deadline says nothing reliable: keep the last result.
        if (!deadline.reached()) {
          status.set({
            lastDriftDetectionResult: drift.result,
            lastDriftDetectionResultMessage: drift.message,
          });
          resourceVersions = drift.resourceVersions;
          log.info('drift detection', { drift: drift.message, dryRunApplied: drift.dryRunApplied });
        }
      }
      // Remember what we did (the next plan reads it). A deploy cut by the host's deadline did not do
      // what Kluctl's controller would have done, so the next run deploys again.
      r.state.known = await rememberRun(
        deps.store,
        r.stateKey,
        loaded,
        {
          ...(kd.metadata.uid ? { uid: kd.metadata.uid } : {}),
          objectsHash: rendered.objectsHash,
          generation,
          manualObjectsHash: kd.spec.manualObjectsHash,
          commit: prepared.commit,
          ...(plan.deploy ? { deployEnd: status.status.lastDeployResult?.commandInfo.endTime } : {}),
          ...(validated ? { validateEnd: status.status.lastValidateResult?.endTime } : {}),
          ...(deployStopped && deadline.by === 'deadline'
            ? { deployInterrupted: deps.clock.now().toISOString() }
            : {}),
          resourceVersions,
        },
        log,
        r.state.known,
      );
      // As Kluctl: the next run is scheduled from when this one's deploy and validate really ended.
      const deployEnd = plan.deploy ? status.status.lastDeployResult?.commandInfo.endTime : undefined;
      const validateEnd = validated ? status.status.lastValidateResult?.endTime : undefined;
      const lastDeployEnd = deployEnd ?? loaded.memory.lastDeployEndTime;
      const lastValidateEnd = validateEnd ?? loaded.memory.lastValidateEndTime;
      nextRunAt = nextReconcileAt({
        spec: kd.spec,
        now: deps.clock.now(),
        awaitingApproval: plan.awaitingApproval,
        ...(lastDeployEnd ? { lastDeployEnd } : {}),
        ...(lastValidateEnd ? { lastValidateEnd } : {}),
      });
      if (deployStopped) {
        return (outcome = stop(deadline.error('deploy'), status.status.lastDeployResult ?? undefined));
      }
      if (plan.validate && !validated) return (outcome = stop(deadline.error('validate')));
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
      deployed,
      nextRunAt,
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
        ...(outcome.nextRunAt ? { nextRunAt: outcome.nextRunAt } : {}),
      });
    } finally {
      await prepared?.cleanup();
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
