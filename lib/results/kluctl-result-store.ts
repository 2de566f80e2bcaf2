/**
 * The port to Kluctl's own result store: results written where Kluctl's tools look for them, so
 * `kluctl gitops deploy|diff|prune|validate` print what our reconciler did, and Kluctl's web UI and
 * `kluctl list-command-results` list it. This is in addition to our state store (lib/reconcile/results.ts),
 * which keeps results for our own tools.
 */
import type { KluctlDeploymentInfo, ValidateResult } from '../api/types.js';
import type { CommandResult } from '../deploy/command-result.js';

/** Kluctl's `--command-result-namespace` default. */
export const KLUCTL_RESULTS_NAMESPACE = 'kluctl-results';
/** Kluctl's `--keep-command-results-count` default: per project and target. */
export const KEEP_KLUCTL_COMMAND_RESULTS = 5;
/** Kluctl's `--keep-validate-results-count` default: per project and target. */
export const KEEP_KLUCTL_VALIDATE_RESULTS = 2;

/** Where Kluctl's tools read results (Secrets in `kluctl-results` of the deployment's own cluster). */
export interface KluctlResultStore {
  /**
   * Writes a command result (Secret values already obfuscated by the caller) and deletes the oldest
   * results of its project and target beyond Kluctl's retention.
   */
  writeCommandResult(result: CommandResult): Promise<void>;
  /** Writes a validate result and deletes the oldest of its project and target beyond retention. */
  writeValidateResult(result: ValidateResult): Promise<void>;
  /**
   * Deletes every result of a deployment that is gone (Kluctl's controller removes the results of
   * deleted KluctlDeployments); returns how many.
   */
  deleteResultsOf(deployment: KluctlDeploymentInfo): Promise<number>;
}
