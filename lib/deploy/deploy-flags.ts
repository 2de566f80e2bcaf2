/**
 * The six deploy flags Kluctl's CLI (`--dry-run`, `--no-wait`, `--force-apply`, `--replace-on-error`,
 * `--force-replace-on-error`, `--abort-on-error`) and a KluctlDeployment's spec share: the one mapping
 * from either source to the engine's options, and the record of them in a result's command info.
 */
import type { DeployFlagFields } from '../api/types.js';

/** The flag names, in the order Kluctl's command info lists them. */
export const DEPLOY_FLAGS = [
  'dryRun',
  'noWait',
  'forceApply',
  'replaceOnError',
  'forceReplaceOnError',
  'abortOnError',
] as const satisfies readonly (keyof DeployFlagFields)[];

/** One of {@link DEPLOY_FLAGS}. */
export type DeployFlag = (typeof DEPLOY_FLAGS)[number];

/** Every deploy flag, on or off. */
export type DeployFlags = { readonly [F in DeployFlag]: boolean };

/**
 * The deploy flags of `source` (a KluctlDeployment's spec, or the CLI's options with `noWait` taken
 * from `--no-wait`); a flag that is not set is off.
 */
export function deployFlagsOf(source: Pick<DeployFlagFields, DeployFlag>): DeployFlags {
  return {
    dryRun: source.dryRun ?? false,
    noWait: source.noWait ?? false,
    forceApply: source.forceApply ?? false,
    replaceOnError: source.replaceOnError ?? false,
    forceReplaceOnError: source.forceReplaceOnError ?? false,
    abortOnError: source.abortOnError ?? false,
  };
}

/** The flags that are on, as a result's command info records them (Kluctl leaves out those off). */
export function flagsSet(flags: Partial<DeployFlags>): Partial<Record<DeployFlag, true>> {
  return Object.fromEntries(DEPLOY_FLAGS.filter((f) => flags[f]).map((f) => [f, true]));
}
