/**
 * The reconcile plan (STYLE.md rule 2): a pure function of the spec, the object's status, the freshly
 * rendered objects hash and `now`. Every decision carries a reason that ends up in logs. Follows
 * kluctl-semantics §10.5: like Kluctl's controller, it decides from `status` (last objects hash, last
 * results, observed generation), so a KluctlDeployment handed over from Kluctl's controller (or back)
 * is not deployed again when nothing changed (test/parity/controller-parity.test.ts).
 */
import { deployInterval, intervalMs, validateEnabled, validateInterval } from '../api/spec-defaults.js';
import type { KluctlDeploymentSpec } from '../api/types.js';

/** The parts of `status` the plan reads. */
export interface PlanStatus {
  readonly lastObjectsHash?: string;
  readonly observedGeneration?: number;
  /** Only whether there is one and when its command ended matter. */
  readonly lastDeployResult?: { readonly commandInfo?: { readonly endTime?: string } } | null;
  readonly lastValidateResult?: { readonly endTime?: string } | null;
}

/** Inputs of {@link planReconcile}. */
export interface PlanInput {
  readonly spec: KluctlDeploymentSpec;
  readonly generation: number;
  readonly status: PlanStatus;
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
  const { spec, status, now } = input;
  const [deploy, deployReason] = decideDeploy(input);
  const [validate, validateReason] = decideValidate(input, deploy);
  // Kluctl computes the next run from the status it is about to write: a deploy or validate of this
  // run ends about now.
  const next = [now.getTime() + intervalMs(spec)];
  const di = deployInterval(spec);
  const deployBase = deploy ? now.getTime() : lastDeployEnd(status);
  if (di !== undefined && Number.isFinite(deployBase)) next.push(deployBase + di);
  if (validateEnabled(spec)) {
    const vBase = validate ? now.getTime() : lastValidateEnd(status);
    if (Number.isFinite(vBase)) next.push(vBase + validateInterval(spec));
  }
  return { deploy, deployReason, validate, validateReason, nextRunAt: new Date(Math.min(...next)) };
}

function lastDeployEnd(status: PlanStatus): number {
  return Date.parse(status.lastDeployResult?.commandInfo?.endTime ?? '');
}

function lastValidateEnd(status: PlanStatus): number {
  return Date.parse(status.lastValidateResult?.endTime ?? '');
}

function decideDeploy({ spec, generation, status, objectsHash, now }: PlanInput): [boolean, string] {
  if (!status.lastDeployResult) return [true, 'no previous deployment'];
  if (status.lastObjectsHash !== objectsHash) return [true, 'rendered objects changed'];
  if (status.observedGeneration !== generation) return [true, `generation changed to ${generation}`];
  const di = deployInterval(spec);
  if (di !== undefined && lastDeployEnd(status) + di < now.getTime()) {
    return [true, `deployInterval ${spec.deployInterval} is due`];
  }
  return [false, 'rendered objects unchanged'];
}

function decideValidate({ spec, status, now }: PlanInput, deploying: boolean): [boolean, string] {
  if (!validateEnabled(spec)) return [false, 'validation disabled'];
  if (!status.lastValidateResult) return [true, 'no previous validation'];
  if (deploying) return [true, 'deploying'];
  if (lastValidateEnd(status) + validateInterval(spec) < now.getTime()) {
    return [true, 'validateInterval is due'];
  }
  return [false, 'validation is recent'];
}
