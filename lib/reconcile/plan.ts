/**
 * The reconcile plan (STYLE.md rule 2): a pure function of the spec, the persisted reconcile state,
 * the freshly rendered objects hash and `now`. Every decision carries a reason that ends up in logs and
 * in the status message. Follows kluctl-semantics §10.5 and Kluctl v2.28.2's reconcileFullRequest2,
 * including manual approval: with `spec.manual` a deploy that is needed only happens when
 * `spec.manualObjectsHash` equals the rendered objects hash.
 */
import { deployInterval, intervalMs, validateEnabled, validateInterval } from '../api/spec-defaults.js';
import type { KluctlDeploymentSpec, KluctlDeploymentStatus } from '../api/types.js';

/** What the reconcile state remembers between runs (persisted in the state store). */
export interface DeployMemory {
  readonly lastObjectsHash?: string;
  /** Generation of the KluctlDeployment at the last full reconcile. */
  readonly lastReconciledGeneration?: number;
  /** End time of the last deploy (RFC 3339). */
  readonly lastDeployEndTime?: string;
  /** End time of the last validate (RFC 3339). */
  readonly lastValidateEndTime?: string;
  /** `spec.manualObjectsHash` at the last full reconcile (Kluctl's `status.lastManualObjectsHash`). */
  readonly lastManualObjectsHash?: string;
  /**
   * When the last deploy was stopped at the host's deadline (RFC 3339): it did not do what Kluctl's
   * controller, which has no such deadline, would have done, so the next run deploys again.
   */
  readonly deployInterrupted?: string;
}

/** Inputs of {@link planReconcile}. */
export interface PlanInput {
  readonly spec: KluctlDeploymentSpec;
  readonly generation: number;
  readonly memory: DeployMemory;
  readonly objectsHash: string;
  readonly now: Date;
}

/** The decisions of one reconcile. */
export interface ReconcilePlan {
  readonly deploy: boolean;
  readonly deployReason: string;
  /**
   * True when a deploy was due but `spec.manual` is set and the rendered objects hash is not the
   * approved one; `deployReason` then names both hashes.
   */
  readonly awaitingApproval: boolean;
  readonly validate: boolean;
  readonly validateReason: string;
  /** When the next reconcile is due. */
  readonly nextRunAt: Date;
}

/** Decides whether to deploy and validate, and when to run next. */
export function planReconcile(input: PlanInput): ReconcilePlan {
  const { spec, memory, now } = input;
  const { deploy, awaitingApproval, reason: deployReason } = decideDeploy(input);
  const [validate, validateReason] = decideValidate(input, deploy);
  // Predicted as if deploy and validate ended now; the reconcile recomputes it with the real end times.
  const at = now.toISOString();
  const lastDeployEnd = deploy ? at : memory.lastDeployEndTime;
  const lastValidateEnd = validate ? at : memory.lastValidateEndTime;
  return {
    deploy,
    deployReason,
    awaitingApproval,
    validate,
    validateReason,
    nextRunAt: nextReconcileAt({
      spec,
      now,
      awaitingApproval,
      ...(lastDeployEnd ? { lastDeployEnd } : {}),
      ...(lastValidateEnd ? { lastValidateEnd } : {}),
    }),
  };
}

/** Inputs of {@link nextReconcileAt}. */
export interface NextRunInput {
  readonly spec: KluctlDeploymentSpec;
  /** When the run ended. */
  readonly now: Date;
  /** End of the last deploy (RFC 3339), if there was one. */
  readonly lastDeployEnd?: string;
  /** End of the last validate (RFC 3339), if there was one. */
  readonly lastValidateEnd?: string;
  /** A deploy is due but not approved (`spec.manual`). */
  readonly awaitingApproval?: boolean;
}

/**
 * When the next reconcile is due, as Kluctl's `nextReconcileTime` after a run: the earliest of
 * `interval` from now, `deployInterval` after the last deploy and (with validation on) the validate
 * interval after the last validate; a suspended deployment only waits for `interval`. A time in the
 * past means at once. One deliberate difference: while an approval is pending the overdue
 * deployInterval cannot deploy anything; Kluctl requeues at once (controller-runtime then backs off),
 * we wait for the interval or for the approving spec change, which triggers a run by itself.
 */
export function nextReconcileAt(input: NextRunInput): Date {
  const { spec, now } = input;
  const next = [now.getTime() + intervalMs(spec)];
  if (!spec.suspend) {
    const di = deployInterval(spec);
    const deployEnd = Date.parse(input.lastDeployEnd ?? '');
    if (di !== undefined && !input.awaitingApproval && Number.isFinite(deployEnd)) next.push(deployEnd + di);
    const validateEnd = Date.parse(input.lastValidateEnd ?? '');
    if (validateEnabled(spec) && Number.isFinite(validateEnd))
      next.push(validateEnd + validateInterval(spec));
  }
  return new Date(Math.max(now.getTime(), Math.min(...next)));
}

interface DeployDecision {
  readonly deploy: boolean;
  readonly awaitingApproval: boolean;
  readonly reason: string;
}

/**
 * Whether a deploy is needed, then whether `spec.manual` lets it happen: Kluctl skips a needed deploy
 * unless `spec.manualObjectsHash` equals the rendered objects hash. Pending approval is reported even
 * when nothing triggers a deploy this time, so every reason shows which hash awaits approval.
 */
function decideDeploy(input: PlanInput): DeployDecision {
  const [needed, reason] = needDeploy(input);
  const { spec, objectsHash } = input;
  if (!spec.manual) return { deploy: needed, awaitingApproval: false, reason };
  if (spec.manualObjectsHash === objectsHash) {
    const approved = `objects hash ${objectsHash} is approved`;
    return { deploy: needed, awaitingApproval: false, reason: `${reason}; ${approved}` };
  }
  const now = spec.manualObjectsHash === undefined ? 'unset' : spec.manualObjectsHash;
  return {
    deploy: false,
    awaitingApproval: true,
    reason:
      `${reason}, waiting for approval: set spec.manualObjectsHash to the rendered objects hash ` +
      `${objectsHash} (now ${now}) to deploy`,
  };
}

function needDeploy({ spec, generation, memory, objectsHash, now }: PlanInput): [boolean, string] {
  if (!memory.lastDeployEndTime) return [true, 'no previous deployment'];
  if (memory.deployInterrupted) return [true, 'the last deploy was stopped at the deadline of its run'];
  if (memory.lastObjectsHash !== objectsHash) return [true, 'rendered objects changed'];
  if (spec.manual && memory.lastManualObjectsHash !== spec.manualObjectsHash) {
    return [true, 'spec.manualObjectsHash changed'];
  }
  if (memory.lastReconciledGeneration !== generation) return [true, `generation changed to ${generation}`];
  const di = periodicDeployInterval(spec);
  if (di !== undefined && Date.parse(memory.lastDeployEndTime) + di <= now.getTime()) {
    return [true, `deployInterval ${spec.deployInterval} is due`];
  }
  return [false, 'rendered objects unchanged'];
}

function decideValidate({ spec, memory, now }: PlanInput, deploying: boolean): [boolean, string] {
  if (!validateEnabled(spec)) return [false, 'validation disabled'];
  if (!memory.lastValidateEndTime) return [true, 'no previous validation'];
  if (deploying) return [true, 'deploying'];
  if (spec.suspend) return [false, 'suspended (a reconcile request does not make validateInterval due)'];
  if (Date.parse(memory.lastValidateEndTime) + validateInterval(spec) <= now.getTime()) {
    return [true, 'validateInterval is due'];
  }
  return [false, 'validation is recent'];
}

/**
 * The memory Kluctl keeps in `status`, for a deployment our state store knows nothing of yet (one
 * that Kluctl's controller reconciled before, or whose state was lost). Planning from it makes the
 * first reconcile decide as Kluctl's next one would: no redeploy of unchanged objects, and with
 * `spec.manual` no deploy of anything the status shows as not approved.
 */
export function memoryFromStatus(status: KluctlDeploymentStatus | undefined): DeployMemory {
  if (!status) return {};
  const memory: Record<string, string | number> = {};
  if (status.lastObjectsHash) memory.lastObjectsHash = status.lastObjectsHash;
  if (status.observedGeneration !== undefined) memory.lastReconciledGeneration = status.observedGeneration;
  const deployEnd = status.lastDeployResult?.commandInfo?.endTime;
  if (deployEnd) memory.lastDeployEndTime = deployEnd;
  const validateEnd = status.lastValidateResult?.endTime;
  if (validateEnd) memory.lastValidateEndTime = validateEnd;
  if (status.lastManualObjectsHash) memory.lastManualObjectsHash = status.lastManualObjectsHash;
  return memory as DeployMemory;
}

/** Whether `memory` holds anything from a previous full reconcile (the lease alone does not count). */
export function hasDeployMemory(memory: DeployMemory): boolean {
  return memory.lastObjectsHash !== undefined || memory.lastDeployEndTime !== undefined;
}

/**
 * deployInterval, except while suspended: Kluctl's controller has no next deploy (nor validate) time
 * for a suspended deployment, so a reconcile request then deploys only what changed.
 */
function periodicDeployInterval(spec: KluctlDeploymentSpec): number | undefined {
  return spec.suspend ? undefined : deployInterval(spec);
}
