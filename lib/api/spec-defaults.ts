/**
 * The one place that knows KluctlDeployment defaults (STYLE.md rule 8, kluctl-semantics §9.3, §9.6).
 * `DEFAULTS` mirrors the `default:` values of the CRD (a unit test keeps them equal); the helpers derive
 * the scheduling durations Kluctl's controller derives, in milliseconds.
 */
import { parseDuration } from './durations.js';
import type { DeployMode, KluctlDeploymentSpec } from './types.js';

/** The defaults the API server fills in from the CRD schema. */
export const DEFAULTS = {
  dryRun: false,
  noWait: false,
  forceApply: false,
  replaceOnError: false,
  forceReplaceOnError: false,
  abortOnError: false,
  deployMode: 'full-deploy',
  validate: true,
  prune: false,
  delete: false,
} as const satisfies Partial<Record<keyof KluctlDeploymentSpec, unknown>>;

/** Kluctl's controller never gives a reconcile less time than this, whatever `spec.timeout` says. */
export const MIN_TIMEOUT_MS = 30_000;

/** The spec fields a duration helper reads. */
type ScheduleSpec = Pick<
  KluctlDeploymentSpec,
  'interval' | 'retryInterval' | 'deployInterval' | 'validateInterval' | 'timeout'
>;

/** `spec.interval` in milliseconds. */
export function intervalMs(spec: Pick<KluctlDeploymentSpec, 'interval'>): number {
  return parseDuration(spec.interval);
}

/** Delay before retrying a failed reconcile: `retryInterval`, else `interval`. */
export function retryInterval(spec: Pick<ScheduleSpec, 'interval' | 'retryInterval'>): number {
  return parseDuration(spec.retryInterval ?? spec.interval);
}

/** Period of validation: `validateInterval`, else `interval`. */
export function validateInterval(spec: Pick<ScheduleSpec, 'interval' | 'validateInterval'>): number {
  return parseDuration(spec.validateInterval ?? spec.interval);
}

/** Period of forced deploys, or undefined when deploys happen only on change. */
export function deployInterval(spec: Pick<ScheduleSpec, 'deployInterval'>): number | undefined {
  return spec.deployInterval === undefined ? undefined : parseDuration(spec.deployInterval);
}

/**
 * Deadline of one reconcile: `timeout`, else `deployInterval`, else `interval`; never below 30s
 * (Kluctl's calcTimeout applies the floor to an explicit timeout too).
 */
export function effectiveTimeout(spec: ScheduleSpec): number {
  const ms = parseDuration(spec.timeout ?? spec.deployInterval ?? spec.interval);
  return Math.max(ms, MIN_TIMEOUT_MS);
}

/** `spec.deployMode` with its default. */
export function deployMode(spec: Pick<KluctlDeploymentSpec, 'deployMode'>): DeployMode {
  return spec.deployMode ?? DEFAULTS.deployMode;
}

/** Whether validation runs (`spec.validate`, default true). */
export function validateEnabled(spec: Pick<KluctlDeploymentSpec, 'validate'>): boolean {
  return spec.validate ?? DEFAULTS.validate;
}
