/**
 * A deployment's result history as the web UI shows it, read from Kluctl's result store (Secrets in
 * `kluctl-results`, lib/results/kluctl-result-format.ts): the list comes from the summary annotations
 * alone, one result is decoded from its `reducedResult` (objects with their changes, errors and
 * warnings) or validate `result`. Object bodies are never sent, and the changes of Secrets are
 * obfuscated again here, so no Secret value reaches a browser even from a result written by another
 * tool. Pure.
 */
import type { DeploymentError, KluctlObjectRef, ValidateResult } from '../api/types.js';
import type { Change } from '../deploy/changes.js';
import { obfuscateChanges } from '../deploy/diff/obfuscate.js';
import type { KubeObject } from '../ports.js';
import {
  LABEL_COMMAND_RESULT_ID,
  decodeResultData,
  resultsOfDeployment,
} from '../results/kluctl-result-format.js';
import type { DeploymentKey } from './deployment-view.js';

/** One entry of the history list. */
export interface ResultEntry {
  readonly kind: 'command' | 'validate';
  readonly id: string;
  /** `deploy`, `diff`, `prune`, `delete`, `poke-images`, or `validate`. */
  readonly command: string;
  readonly reconcileId?: string;
  readonly startTime: string;
  readonly endTime: string;
  /** Seconds from start to end. */
  readonly durationS: number;
  readonly errors: number;
  readonly warnings: number;
  readonly newObjects?: number;
  readonly changedObjects?: number;
  readonly orphanObjects?: number;
  readonly deletedObjects?: number;
  readonly ready?: boolean;
}

/** One object of a command result, without its bodies. */
export interface ResultObjectView {
  readonly ref: KluctlObjectRef;
  readonly new?: boolean;
  readonly orphan?: boolean;
  readonly deleted?: boolean;
  readonly hook?: boolean;
  readonly changes?: readonly Change[];
}

/** A command result as the detail page shows it. */
export interface CommandResultView {
  readonly kind: 'command';
  readonly id: string;
  readonly command: Record<string, unknown>;
  readonly gitInfo?: unknown;
  readonly renderedObjectsHash?: string;
  readonly objects: readonly ResultObjectView[];
  readonly errors: readonly DeploymentError[];
  readonly warnings: readonly DeploymentError[];
}

/** A validate result as the detail page shows it. */
export interface ValidateResultView extends ValidateResult {
  readonly kind: 'validate';
}

/** The history of `d` from every result Secret listed, newest first. */
export function resultEntries(secrets: readonly KubeObject[], d: DeploymentKey): ResultEntry[] {
  const mine = resultsOfDeployment(secrets, { name: d.name, namespace: d.namespace, clusterId: d.clusterId });
  return mine
    .flatMap((s) => {
      const e = entryOf(s);
      return e ? [e] : [];
    })
    .sort((a, b) => Date.parse(b.startTime) - Date.parse(a.startTime) || (a.id < b.id ? 1 : -1));
}

function entryOf(s: KubeObject): ResultEntry | undefined {
  const isCommand = s.metadata.labels?.[LABEL_COMMAND_RESULT_ID] !== undefined;
  const text =
    s.metadata.annotations?.[
      isCommand ? 'kluctl.io/command-result-summary' : 'kluctl.io/validate-result-summary'
    ];
  if (!text) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const num = (k: string): number =>
    typeof v[k] === 'number' ? v[k] : Array.isArray(v[k]) ? v[k].length : 0;
  const info = (isCommand ? v.commandInfo : v) as Record<string, unknown> | undefined;
  const startTime = String(info?.startTime ?? '');
  const endTime = String(info?.endTime ?? '');
  const base = {
    kind: isCommand ? ('command' as const) : ('validate' as const),
    id: String(v.id),
    command: isCommand ? String(info?.command ?? 'deploy') : 'validate',
    ...(typeof v.reconcileId === 'string' && v.reconcileId ? { reconcileId: v.reconcileId } : {}),
    startTime,
    endTime,
    durationS: Math.max(0, (Date.parse(endTime) - Date.parse(startTime)) / 1000) || 0,
    errors: num('errors'),
    warnings: num('warnings'),
  };
  return isCommand
    ? {
        ...base,
        newObjects: num('newObjects'),
        changedObjects: num('changedObjects'),
        orphanObjects: num('orphanObjects'),
        deletedObjects: num('deletedObjects'),
      }
    : { ...base, ready: v.ready === true };
}

/** The view of a command result Secret: objects with changes (obfuscated for Secrets), no bodies. */
export function commandResultView(secret: KubeObject): CommandResultView {
  const r = decodeResultData(secret, 'reducedResult') as Record<string, unknown> | undefined;
  if (!r) throw new Error(`result Secret ${secret.metadata.name} has no reducedResult`);
  const objects = (Array.isArray(r.objects) ? r.objects : []) as Record<string, unknown>[];
  return {
    kind: 'command',
    id: String(r.id),
    command: (r.command ?? {}) as Record<string, unknown>,
    ...(r.gitInfo ? { gitInfo: r.gitInfo } : {}),
    ...(typeof r.renderedObjectsHash === 'string' ? { renderedObjectsHash: r.renderedObjectsHash } : {}),
    objects: objects.map(objectView),
    errors: (r.errors ?? []) as DeploymentError[],
    warnings: (r.warnings ?? []) as DeploymentError[],
  };
}

function objectView(o: Record<string, unknown>): ResultObjectView {
  const ref = o.ref as KluctlObjectRef;
  const changes = o.changes as Change[] | undefined;
  return {
    ref,
    ...(o.new ? { new: true } : {}),
    ...(o.orphan ? { orphan: true } : {}),
    ...(o.deleted ? { deleted: true } : {}),
    ...(o.hook ? { hook: true } : {}),
    ...(changes?.length
      ? { changes: obfuscateChanges({ group: ref.group ?? '', kind: ref.kind }, changes) }
      : {}),
  };
}

/** The view of a validate result Secret. */
export function validateResultView(secret: KubeObject): ValidateResultView {
  const r = decodeResultData(secret, 'result') as ValidateResult | undefined;
  if (!r) throw new Error(`result Secret ${secret.metadata.name} has no result`);
  return { ...r, kind: 'validate' };
}
