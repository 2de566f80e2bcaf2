/**
 * The one owner of a KluctlDeployment's status during a reconcile (STYLE.md rule 5): it keeps the
 * working copy, sends the progress patches Kluctl's controller sends while it works (Initializing,
 * Performing ...), records the failed-prepare and stopped-at-the-deadline outcomes, and at the end
 * writes whatever changed in one merge patch. The wording of conditions is status.ts's.
 */
import { CONTROLLER_FIELD_MANAGER } from '../api/constants.js';
import type {
  CommandResultSummary,
  Condition,
  KluctlDeployment,
  KluctlDeploymentStatus,
} from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Clock, KubeClient, ObjectRef } from '../ports.js';
import { createMergePatch, replacementPatch } from '../util/merge-patch.js';
import type { DeadlineError } from './deadline.js';
import {
  deployResultMessage,
  finalReadyStatus,
  makeCondition,
  prepareErrorText,
  prepareFailedMessage,
  Reasons,
  READY,
  RECONCILING,
  removeCondition,
  setCondition,
} from './status.js';

/** Status fields to write; `null` removes a field (RFC 7386 merge patch). */
export type StatusPatch = {
  -readonly [K in keyof KluctlDeploymentStatus]?: KluctlDeploymentStatus[K] | null;
};

/** Ready's status, reason and message. */
export type ReadyState = { status: Condition['status']; reason: string; message: string };

/** Kluctl's failure reason of each step a deadline can cut short. */
const STOPPED_REASON = {
  prepare: Reasons.prepareFailed,
  deploy: Reasons.deployFailed,
  validate: Reasons.validateFailed,
} as const;

/**
 * Progress patches (the Reconciling step, an Initializing Ready) of steps shorter than this are folded
 * into the final write: a reconcile with nothing to do writes status once (ADR 0014).
 */
export const PROGRESS_DELAY_MS = 5000;

/** Options of {@link StatusWriter}. */
export interface StatusWriterOptions {
  /** Default {@link PROGRESS_DELAY_MS}; 0 sends progress at once, as Kluctl's controller does. */
  readonly progressDelayMs?: number;
}

/** The status of one KluctlDeployment while it is reconciled. */
export class StatusWriter {
  /** The working copy; fields set here are written by {@link flush}. */
  readonly status: StatusPatch;
  /** What the server holds as far as this writer knows: the status read, plus what it sent since. */
  private sent: StatusPatch;
  private readonly generation: number;
  /** Fields set by {@link defer} and not sent yet. */
  private readonly deferred = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** The deferred write in flight, if any (writes never overlap). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly kube: KubeClient,
    private readonly ref: ObjectRef,
    private readonly kd: KluctlDeployment,
    private readonly clock: Clock,
    private readonly opts: StatusWriterOptions = {},
  ) {
    this.status = { ...(kd.status ?? {}) };
    this.sent = { ...(kd.status ?? {}) };
    this.generation = kd.metadata.generation ?? 0;
  }

  /**
   * Sets fields in the working copy and patches them right away (Kluctl's early status writes), with
   * any deferred ones. Each field is replaced as a whole: keys its previous value had and the new one
   * lacks are removed (a new request record must not keep the last one's endTime or resultId).
   */
  async patch(fields: StatusPatch): Promise<void> {
    Object.assign(this.status, fields);
    for (const k of Object.keys(fields)) this.deferred.add(k);
    this.cancelTimer();
    await this.writing;
    await this.sendDeferred();
  }

  /** Like {@link patch}, but sends nothing when every field already has that value. */
  async patchChanged(fields: StatusPatch): Promise<void> {
    // Compared key by key: the server may return an object's keys in another order than ours.
    const changed = Object.entries(fields).some(
      ([k, v]) => Object.keys(createMergePatch({ v: this.status[k as keyof StatusPatch] }, { v })).length > 0,
    );
    if (changed) await this.patch(fields);
  }

  /**
   * Sets fields that are sent with the next write, or after the progress delay if none comes sooner
   * (progress that only a long step makes worth a write). Removing a field that is absent does nothing.
   */
  defer(fields: StatusPatch): void {
    for (const [k, v] of Object.entries(fields)) {
      const key = k as keyof StatusPatch;
      if (v === null && this.status[key] === undefined && this.sent[key] === undefined) continue;
      Object.assign(this.status, { [key]: v });
      this.deferred.add(key);
    }
    const delay = this.opts.progressDelayMs ?? PROGRESS_DELAY_MS;
    if (this.deferred.size === 0 || this.timer) return;
    if (delay <= 0) {
      this.writing = this.writing.then(() => this.sendDeferred()).catch(() => {});
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failed progress write is not fatal: the final write sends everything not known to be sent.
      this.writing = this.writing.then(() => this.sendDeferred()).catch(() => {});
    }, delay);
    this.timer.unref?.();
  }

  /** Sets fields in the working copy only. */
  set(fields: StatusPatch): void {
    Object.assign(this.status, fields);
  }

  /** Kluctl's first patch: Reconciling names the step, the old Ready stays until real work starts. */
  initializing(): Promise<void> {
    const old = this.status.conditions?.find((c) => c.type === READY);
    // A deployment without Ready yet shows at once that it was picked up; others only when slow.
    if (!old) {
      const ready = {
        status: 'Unknown' as const,
        reason: Reasons.progressing,
        message: 'Reconciliation in progress',
      };
      return this.patch(this.conditions(ready, 'Initializing'));
    }
    this.defer(
      this.conditions({ status: old.status, reason: old.reason, message: old.message }, 'Initializing'),
    );
    return Promise.resolve();
  }

  /**
   * Kluctl's "real work starts" patch: Ready Unknown, Reconciling names the step. `message` replaces
   * Kluctl's Ready message for progress beyond its steps (waiting for readiness). Sent at once with
   * `now` (a deploy: the cluster is about to change), else deferred ({@link defer}).
   */
  progressing(step: string, message = 'Reconciliation in progress', now = false): Promise<void> {
    const fields = this.conditions({ status: 'Unknown', reason: Reasons.progressing, message }, step);
    if (now) return this.patch(fields);
    this.defer(fields);
    return Promise.resolve();
  }

  /** Kluctl's failed-prepare outcome: the full text in lastPrepareError, a short Ready message. */
  failPrepare(err: unknown, commit?: string): void {
    this.set({
      lastPrepareError: prepareErrorText(err),
      ...(commit ? { observedCommit: commit } : {}),
      ...this.conditions({
        status: 'False',
        reason: Reasons.prepareFailed,
        message: prepareFailedMessage(err),
      }),
    });
  }

  /**
   * A run cut short by its deadline: Ready False with the reason Kluctl gives a failure of that step,
   * and a message naming the deadline (and, for a deploy, what the partial deploy did).
   */
  stopped(err: DeadlineError, deploy?: CommandResultSummary): void {
    if (err.step === 'prepare') this.set({ lastPrepareError: errorMessage(err) });
    const detail = deploy ? ` ${deployResultMessage(deploy)}` : '';
    this.set(
      this.conditions({
        status: 'False',
        reason: STOPPED_REASON[err.step],
        message: `${err.message}.${detail}`,
      }),
    );
  }

  /** Ready from the last deploy and validate results, as Kluctl builds it; Reconciling goes. */
  finish(validateOn: boolean): ReadyState {
    const ready = finalReadyStatus(
      this.status.lastDeployResult ?? undefined,
      this.status.lastValidateResult ?? undefined,
      validateOn,
    );
    this.set(this.conditions(ready));
    return ready;
  }

  /** The Ready condition of the working copy. */
  ready(): Condition | undefined {
    return this.status.conditions?.find((c) => c.type === READY);
  }

  /**
   * Writes everything that changed since it was last sent, and observedGeneration unless `observe` is
   * false (a run that served a manual request has not reconciled the spec, as with Kluctl).
   */
  async flush(opts: { readonly observe?: boolean } = {}): Promise<void> {
    this.cancelTimer();
    this.deferred.clear();
    await this.writing;
    if (opts.observe !== false) this.status.observedGeneration = this.generation;
    // Only what changed, and removals as null: stale keys of replaced results must not survive. What
    // was sent already is not sent again, so a field a client changed meanwhile (`kluctl gitops diff`
    // clears lastDiffResult) keeps the client's value.
    const patch = createMergePatch(this.sent, this.status);
    if (Object.keys(patch).length === 0) return;
    await this.send(patch);
    this.sent = { ...this.status };
  }

  /** Conditions with Ready set and Reconciling set to `step` (removed without one). */
  private conditions(ready: ReadyState, step?: string): StatusPatch {
    const at = { generation: this.generation, now: this.clock.now() };
    let list = setCondition(
      this.status.conditions ?? [],
      makeCondition(READY, ready.status, ready.reason, ready.message, at),
    );
    list =
      step !== undefined
        ? setCondition(list, makeCondition(RECONCILING, 'True', Reasons.progressing, step, at))
        : removeCondition(list, RECONCILING);
    return { conditions: list };
  }

  /** Sends the deferred fields, each replaced as a whole. */
  private async sendDeferred(): Promise<void> {
    if (this.deferred.size === 0) return;
    const keys = [...this.deferred];
    this.deferred.clear();
    const values = pick(this.status, keys);
    await this.send(replacementPatch(pick(this.sent, keys), values) as StatusPatch);
    Object.assign(this.sent, values);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async send(status: StatusPatch | Record<string, unknown>): Promise<void> {
    await this.kube.mergePatch(
      this.ref,
      { status },
      { fieldManager: CONTROLLER_FIELD_MANAGER, subresource: 'status' },
    );
  }
}

/** The given keys of `o`. */
function pick(o: StatusPatch, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k as keyof StatusPatch]]));
}
