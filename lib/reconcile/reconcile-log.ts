/**
 * The log lines of each reconcile, kept per reconcile id beside the deployment's results (there is no
 * controller pod whose log `kluctl gitops logs` could read): the reconcile logs through a capturing
 * logger, and the lines of runs that did something (served a request, deployed, failed, or logged a
 * warning) are stored as gzip JSON lines. Runs that changed nothing are not stored, so the warm no-op
 * reconcile makes no extra state store call. The newest {@link KEEP_RECONCILE_LOGS} per deployment are
 * kept; a lifecycle rule on `results/` expires the rest.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { errorMessage } from '../errors.js';
import type { Logger, StateStore } from '../ports.js';
import { reconcileLogKey, reconcileLogsPrefix } from '../state/layout.js';
import type { DeploymentId } from '../state/layout.js';
import type { ReconcileOutcome } from './outcome.js';

/** Log files kept per deployment. */
export const KEEP_RECONCILE_LOGS = 20;

/** One captured line: Kluctl's controller log fields (`ts`, `level`, `msg`) and the line's fields. */
export interface LogLine {
  readonly ts: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The stored log of one reconcile. */
export interface ReconcileLog {
  readonly reconcileId: string;
  readonly lines: readonly LogLine[];
}

/** A logger that passes every line to `inner` and keeps a copy (info and above). */
export function captureLog(
  inner: Logger,
  now: () => Date,
): { readonly logger: Logger; readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const wrap = (l: Logger, fields: Record<string, unknown>): Logger => {
    const keep =
      (level: LogLine['level'], write: (m: string, f?: Record<string, unknown>) => void) =>
      (msg: string, f?: Record<string, unknown>) => {
        write(msg, f);
        if (level !== 'debug') lines.push({ ...fields, ...f, ts: now().toISOString(), level, msg });
      };
    return {
      debug: (m, f) => l.debug(m, f),
      info: keep('info', (m, f) => l.info(m, f)),
      warn: keep('warn', (m, f) => l.warn(m, f)),
      error: keep('error', (m, f) => l.error(m, f)),
      child: (f) => wrap(l.child(f), { ...fields, ...f }),
    };
  };
  return { logger: wrap(inner, {}), lines };
}

/** Whether a run's log is worth keeping (see the module comment). */
export function keepsLog(outcome: ReconcileOutcome, lines: readonly LogLine[]): boolean {
  return (
    outcome.requeue === true ||
    outcome.deployed ||
    outcome.outcome === 'failed' ||
    outcome.outcome === 'finalized' ||
    lines.some((l) => l.level === 'warn' || l.level === 'error')
  );
}

/** Stores the lines of one reconcile and drops the oldest logs beyond the retention; never throws. */
export async function storeReconcileLog(
  store: StateStore,
  d: DeploymentId,
  log: ReconcileLog & { readonly endTime: Date },
  logger: Logger,
): Promise<void> {
  try {
    // The end time first in the name, so the listing order is the age order.
    const name = `${log.endTime.toISOString().replace(/[:.]/g, '-')}-${log.reconcileId}`;
    const body = log.lines.map((l) => JSON.stringify(l)).join('\n');
    await store.put(reconcileLogKey(d.clusterId, d.namespace, d.name, name), gzipSync(body), {
      contentType: 'application/gzip',
    });
    const all = [...(await store.list(reconcileLogsPrefix(d.clusterId, d.namespace, d.name)))].sort();
    for (const old of all.slice(0, Math.max(0, all.length - KEEP_RECONCILE_LOGS))) await store.delete(old);
  } catch (err) {
    logger.warn('storing the reconcile log failed', { error: errorMessage(err) });
  }
}

/** The stored logs of a deployment, oldest first. */
export async function readReconcileLogs(store: StateStore, d: DeploymentId): Promise<ReconcileLog[]> {
  const keys = [...(await store.list(reconcileLogsPrefix(d.clusterId, d.namespace, d.name)))].sort();
  const logs: ReconcileLog[] = [];
  for (const key of keys) {
    const blob = await store.get(key);
    if (!blob) continue;
    const text = gunzipSync(blob.body).toString('utf8');
    const lines = text ? text.split('\n').map((l) => JSON.parse(l) as LogLine) : [];
    // `<end time as 2026-12-06T03-04-05-678Z>-<reconcile id>.jsonl.gz`
    const file = key.slice(key.lastIndexOf('/') + 1).replace(/\.jsonl\.gz$/, '');
    const reconcileId = file.slice('2026-12-06T03-04-05-678Z-'.length);
    logs.push({ reconcileId, lines });
  }
  return logs;
}
