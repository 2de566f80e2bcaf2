/**
 * Pure builders of KluctlDeployment status: conditions, their reasons and messages exactly as Kluctl
 * words them (kluctl-semantics §10.3, §10.8), and the project key.
 */
import type {
  CommandResultSummary,
  Condition,
  KluctlDeploymentSpec,
  ProjectKey,
  ValidateResult,
} from '../api/types.js';
import { KsError } from '../errors.js';

export const READY = 'Ready';
export const RECONCILING = 'Reconciling';

/** Reasons of the Ready condition, as Kluctl names them. */
export const Reasons = {
  succeeded: 'ReconciliationSucceeded',
  progressing: 'Progressing',
  prepareFailed: 'PrepareFailed',
  deployFailed: 'DeployFailed',
  validateFailed: 'ValidateFailed',
  pruneFailed: 'PruneFailed',
  diffFailed: 'DiffFailed',
} as const;

const MAX_MESSAGE = 20000;

/** A condition with Kluctl's message truncation. */
export function makeCondition(
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  opts: { generation?: number; now: Date },
): Condition {
  const msg = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
  return {
    type,
    status,
    reason,
    message: msg,
    lastTransitionTime: opts.now.toISOString().replace(/\.\d+Z$/, 'Z'),
    ...(opts.generation !== undefined ? { observedGeneration: opts.generation } : {}),
  };
}

/** Replaces or adds a condition; the transition time only moves when the status changes. */
export function setCondition(conditions: readonly Condition[] | undefined, c: Condition): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) return [...list, c];
  const old = list[i]!;
  list[i] = old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  return list;
}

/** Removes a condition by type. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The Ready message for a failed prepare; the full text goes to `lastPrepareError`. */
export function prepareFailedMessage(errorCount = 1): string {
  return errorCount > 1
    ? `prepare failed with ${errorCount} errors. Check status.lastPrepareError for details`
    : 'prepare failed. Check status.lastPrepareError for details';
}

function plural(n: number, what: string): string {
  return n > 0 ? ` ${n} ${what}.` : '';
}

/** Reason and message of the final Ready condition, from the last deploy and validate results. */
export function finalReadyStatus(
  deploy: CommandResultSummary | undefined,
  validate: ValidateResult | undefined,
  validateOn: boolean,
): { status: Condition['status']; reason: string; message: string } {
  if (!deploy) return { status: 'False', reason: Reasons.deployFailed, message: 'deployment status unknown' };
  const errs = deploy.errors?.length ?? 0;
  const warns = deploy.warnings?.length ?? 0;
  let msg: string;
  if (errs > 0) msg = `deploy failed with ${errs} errors${warns > 0 ? ` and ${warns} warnings` : ''}.`;
  else if (warns > 0) msg = `deploy succeeded with ${warns} warnings.`;
  else msg = 'deploy succeeded.';
  msg += plural(deploy.newObjects, 'new objects');
  msg += plural(deploy.changedObjects, 'changed objects');
  msg += plural(deploy.appliedHookObjects, 'hooks run');
  msg += plural(deploy.deletedObjects, 'deleted objects');
  msg += plural(deploy.orphanObjects, 'orphan objects');
  let reason: string = errs > 0 ? Reasons.deployFailed : Reasons.succeeded;
  if (validateOn) {
    if (!validate) {
      msg += ' Validation status unknown.';
      if (errs === 0) reason = Reasons.validateFailed;
    } else if ((validate.errors?.length ?? 0) > 0) {
      msg += ` validate failed with ${validate.errors!.length} errors.`;
      if (errs === 0) reason = Reasons.validateFailed;
    } else {
      msg += ' validate succeeded.';
    }
  }
  return { status: reason === Reasons.succeeded ? 'True' : 'False', reason, message: msg };
}

/**
 * Kluctl's repo key of a Git URL: `git://<host[:port]>/<path>` without a trailing `.git`; scp-like
 * `user@host:path` URLs are understood too.
 */
export function repoKeyFromGitUrl(url: string): string {
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(url);
  let host: string;
  let path: string;
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    let u: URL;
    try {
      u = new URL(url);
    } catch (cause) {
      throw new KsError('InvalidInput', `invalid git url '${url}'`, { cause });
    }
    host = u.host;
    path = u.pathname;
  }
  path = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  return `git://${host.toLowerCase()}/${path}`;
}

/** `status.projectKey` for a spec; throws `missing source spec` when there is no source. */
export function projectKeyOf(spec: KluctlDeploymentSpec): ProjectKey {
  const src = spec.source;
  let repoKey: string;
  let subDir: string | undefined;
  if (src.git) {
    repoKey = repoKeyFromGitUrl(src.git.url);
    subDir = src.git.path;
  } else if (src.oci) {
    repoKey = src.oci.url.replace(/^oci:\/\//, 'oci://');
    subDir = src.oci.path;
  } else if (src.url) {
    repoKey = repoKeyFromGitUrl(src.url);
    subDir = src.path;
  } else {
    throw new KsError('InvalidInput', 'missing source spec');
  }
  return { repoKey, subDir: cleanSubDir(subDir ?? '') };
}

/** Go's path.Clean for a relative sub-directory, with "." as "". */
export function cleanSubDir(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}
