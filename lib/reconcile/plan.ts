/**
 * The reconcile plan (STYLE.md rule 2): a pure function of the spec, the persisted reconcile state,
 * the freshly rendered objects hash and `now`. Every decision carries a reason that ends up in logs and
 * in the status message. Follows kluctl-semantics §10.5.
 */
import { deployInterval, intervalMs, validateEnabled, validateInterval } from '../api/spec-defaults.js';
import type { KluctlDeploymentSpec } from '../api/types.js';

/** What the reconcile state remembers between runs (persisted in the state store). */
export interface DeployMemory {
  readonly lastObjectsHash?: string;
  /** Generation of the KluctlDeployment at the last full reconcile. */
  readonly lastReconciledGeneration?: number;
  /** End time of the last deploy (RFC 3339). */
  readonly lastDeployEndTime?: string;
  /** End time of the last validate (RFC 3339). */
  readonly lastValidateEndTime?: string;
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
  readonly validate: boolean;
  readonly validateReason: string;
  /** When the next reconcile is due. */
  readonly nextRunAt: Date;
}

/** Decides whether to deploy and validate, and when to run next. */
export function planReconcile(input: PlanInput): ReconcilePlan {
  const { spec, memory, now } = input;
  const [deploy, deployReason] = decideDeploy(input);
  const [validate, validateReason] = decideValidate(input, deploy);
  const next = [now.getTime() + intervalMs(spec)];
  const di = deployInterval(spec);
  const deployBase = deploy ? now.getTime() : Date.parse(memory.lastDeployEndTime ?? '');
  if (di !== undefined && Number.isFinite(deployBase)) next.push(deployBase + di);
  if (validateEnabled(spec)) {
    const vBase = validate ? now.getTime() : Date.parse(memory.lastValidateEndTime ?? '');
    if (Number.isFinite(vBase)) next.push(vBase + validateInterval(spec));
  }
  return { deploy, deployReason, validate, validateReason, nextRunAt: new Date(Math.min(...next)) };
}

function decideDeploy({ spec, generation, memory, objectsHash, now }: PlanInput): [boolean, string] {
  if (!memory.lastDeployEndTime) return [true, 'no previous deployment'];
  if (memory.lastObjectsHash !== objectsHash) return [true, 'rendered objects changed'];
  if (memory.lastReconciledGeneration !== generation) return [true, `generation changed to ${generation}`];
  const di = deployInterval(spec);
  if (di !== undefined && Date.parse(memory.lastDeployEndTime) + di <= now.getTime()) {
    return [true, `deployInterval ${spec.deployInterval} is due`];
  }
  return [false, 'rendered objects unchanged'];
}

function decideValidate({ spec, memory, now }: PlanInput, deploying: boolean): [boolean, string] {
  if (!validateEnabled(spec)) return [false, 'validation disabled'];
  if (!memory.lastValidateEndTime) return [true, 'no previous validation'];
  if (deploying) return [true, 'deploying'];
  if (Date.parse(memory.lastValidateEndTime) + validateInterval(spec) <= now.getTime()) {
    return [true, 'validateInterval is due'];
  }
  return [false, 'validation is recent'];
}
