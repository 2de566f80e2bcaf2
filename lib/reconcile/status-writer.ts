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

/** The status of one KluctlDeployment while it is reconciled. */
export class StatusWriter {
  /** The working copy; fields set here are written by {@link flush}. */
  readonly status: StatusPatch;
  /** What the server holds as far as this writer knows: the status read, plus what it sent since. */
  private sent: StatusPatch;
  private readonly generation: number;

  constructor(
    private readonly kube: KubeClient,
    private readonly ref: ObjectRef,
    private readonly kd: KluctlDeployment,
    private readonly clock: Clock,
  ) {
    this.status = { ...(kd.status ?? {}) };
    this.sent = { ...(kd.status ?? {}) };
    this.generation = kd.metadata.generation ?? 0;
  }

  /**
   * Sets fields in the working copy and patches them right away (Kluctl's early status writes). Each
   * field is replaced as a whole: keys its previous value had and the new one lacks are removed (a new
   * request record must not keep the last one's endTime or resultId).
   */
  async patch(fields: StatusPatch): Promise<void> {
    Object.assign(this.status, fields);
    await this.send(replacementPatch(pick(this.sent, Object.keys(fields)), fields) as StatusPatch);
    Object.assign(this.sent, fields);
  }

  /** Like {@link patch}, but sends nothing when every field already has that value. */
  async patchChanged(fields: StatusPatch): Promise<void> {
    const changed = Object.entries(fields).some(
      ([k, v]) => JSON.stringify(this.status[k as keyof StatusPatch]) !== JSON.stringify(v),
    );
    if (changed) await this.patch(fields);
  }

  /** Sets fields in the working copy only. */
  set(fields: StatusPatch): void {
    Object.assign(this.status, fields);
  }

  /** Kluctl's first patch: Reconciling names the step, the old Ready stays until real work starts. */
  initializing(): Promise<void> {
    const old = this.status.conditions?.find((c) => c.type === READY);
    const ready = old
      ? { status: old.status, reason: old.reason, message: old.message }
      : { status: 'Unknown' as const, reason: Reasons.progressing, message: 'Reconciliation in progress' };
    return this.patch(this.conditions(ready, 'Initializing'));
  }

  /**
   * Kluctl's "real work starts" patch: Ready Unknown, Reconciling names the step. `message` replaces
   * Kluctl's Ready message for progress beyond its steps (waiting for readiness).
   */
  progressing(step: string, message = 'Reconciliation in progress'): Promise<void> {
    return this.patch(this.conditions({ status: 'Unknown', reason: Reasons.progressing, message }, step));
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
