/**
 * Stores command results in the state store as gzip JSON, with Secret values obfuscated, keeping the
 * newest few per deployment (Kluctl keeps 5 command results, kluctl-semantics §7.10); and, when the
 * reconciler has one, in Kluctl's own result store (lib/results/kluctl-result-store.ts), where
 * Kluctl's CLI and web UI read them.
 */
import { isDeepStrictEqual } from 'node:util';
import { gzipSync, gunzipSync } from 'node:zlib';
import type { ValidateResult } from '../api/types.js';
import { errorMessage } from '../errors.js';
import type { Logger, StateStore } from '../ports.js';
import type { CommandResult } from '../deploy/command-result.js';
import { obfuscateSecrets, summarizeResult } from '../deploy/command-result.js';
import type { KluctlResultStore } from '../results/kluctl-result-store.js';
import { reconcileLogsPrefix, resultKey, resultsPrefix } from '../state/layout.js';
import type { DeploymentId } from '../state/layout.js';

/** Where a reconcile keeps its results. */
export interface ResultSinks {
  readonly store: StateStore;
  /** Kluctl's result store; absent: results go to our state store only. */
  readonly kluctlResults?: KluctlResultStore;
  readonly logger: Logger;
}

/** Kluctl's default retention of command results. */
export const KEEP_COMMAND_RESULTS = 5;

/** Writes a result of one deployment and prunes the oldest beyond `keep`; returns its key. */
export async function storeCommandResult(
  store: StateStore,
  d: DeploymentId,
  result: CommandResult,
  keep = KEEP_COMMAND_RESULTS,
): Promise<string> {
  const safe = obfuscateSecrets(result);
  // Prefixing the id with the end time makes the listing order the age order.
  const key = resultKey(
    d.clusterId,
    d.namespace,
    d.name,
    `${result.command.endTime.replace(/[:.]/g, '-')}-${result.id}`,
  );
  await store.put(key, gzipSync(JSON.stringify(safe)), { ifNoneMatch: '*', contentType: 'application/gzip' });
  // Reconcile logs live below the results (reconcile-log.ts) and have their own retention.
  const logs = reconcileLogsPrefix(d.clusterId, d.namespace, d.name);
  const all = [...(await store.list(resultsPrefix(d.clusterId, d.namespace, d.name)))]
    .filter((k) => !k.startsWith(logs))
    .sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await store.delete(old);
  return key;
}

/**
 * Stores a command result when it says something (new, changed, orphan or deleted objects, errors or
 * warnings), or always with `force` (a manual request's result, which the CLI prints), as Kluctl's
 * controller does; a failed write is logged, not fatal.
 */
export async function keepCommandResult(
  sinks: ResultSinks,
  d: DeploymentId,
  result: CommandResult,
  opts: { readonly force?: boolean } = {},
): Promise<void> {
  const s = summarizeResult(result);
  const worth =
    s.newObjects + s.changedObjects + s.orphanObjects + s.deletedObjects > 0 ||
    result.errors.length > 0 ||
    result.warnings.length > 0;
  if (!worth && !opts.force) return;
  const failed = (where: string) => (err: unknown) =>
    sinks.logger.warn(`writing the command result to ${where} failed`, {
      resultId: result.id,
      error: errorMessage(err),
    });
  await Promise.all([
    storeCommandResult(sinks.store, d, result).catch(failed('the state store')),
    sinks.kluctlResults?.writeCommandResult(obfuscateSecrets(result)).catch(failed("Kluctl's result store")),
  ]);
}

/** Stores a validate result in Kluctl's result store (Kluctl stores every one); failures are logged. */
export async function keepValidateResult(sinks: ResultSinks, result: ValidateResult): Promise<void> {
  await sinks.kluctlResults?.writeValidateResult(result).catch((err: unknown) =>
    sinks.logger.warn("writing the validate result to Kluctl's result store failed", {
      resultId: result.id,
      error: errorMessage(err),
    }),
  );
}

/**
 * What a validate found, without what changes on every run (its id, reconcile id and times): two
 * results with equal findings say the same about the deployment. Empty lists count as absent, as the
 * status read back from the API server may have either.
 */
function validateFindings(r: ValidateResult): Record<string, unknown> {
  // Through JSON first: fields set to undefined are absent in the status read back.
  const {
    id: _id,
    reconcileId: _reconcileId,
    startTime: _start,
    endTime: _end,
    ...rest
  } = JSON.parse(JSON.stringify(r)) as ValidateResult;
  return Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}

/** Whether `a` and `b` found the same (see {@link validateFindings}). */
export function sameValidateFindings(a: ValidateResult, b: ValidateResult): boolean {
  return isDeepStrictEqual(validateFindings(a), validateFindings(b));
}

/** Reads a stored result by key. */
export async function readCommandResult(store: StateStore, key: string): Promise<CommandResult | undefined> {
  const blob = await store.get(key);
  return blob ? (JSON.parse(gunzipSync(blob.body).toString('utf8')) as CommandResult) : undefined;
}
