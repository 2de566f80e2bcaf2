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
import { errorListSize, errorListText, errorMessage, KsError, MultiError } from '../errors.js';
import { metaTime } from '../api/meta-time.js';

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
    lastTransitionTime: metaTime(opts.now),
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

/**
 * The Ready message for a failed prepare; the full text goes to `lastPrepareError`. Like Kluctl, it
 * counts the errors when the failure is a list of them (items that failed to render), even a list of
 * one: `prepare failed with 1 errors.`
 */
export function prepareFailedMessage(err: unknown): string {
  const n = errorListSize(err);
  return n !== undefined
    ? `prepare failed with ${n} errors. Check status.lastPrepareError for details`
    : 'prepare failed. Check status.lastPrepareError for details';
}

/** `status.lastPrepareError`: the full text, as a list when the failure was one (as Kluctl writes it). */
export function prepareErrorText(err: unknown): string {
  const n = errorListSize(err);
  return n === 1 && !(err instanceof MultiError) ? errorListText([err]) : errorMessage(err);
}

/**
 * Kluctl's one-line outcome of a command: `<command> succeeded.`, `<command> succeeded with M warnings.`,
 * `<command> failed with N errors.` or `<command> failed with N errors and M warnings.`
 */
export function resultMessage(command: string, errors: number, warnings: number): string {
  if (errors > 0) {
    return warnings > 0
      ? `${command} failed with ${errors} errors and ${warnings} warnings.`
      : `${command} failed with ${errors} errors.`;
  }
  return warnings > 0 ? `${command} succeeded with ${warnings} warnings.` : `${command} succeeded.`;
}

/** The deploy part of the Ready message: the outcome and the non-zero object counters. */
export function deployResultMessage(deploy: CommandResultSummary, command = 'deploy'): string {
  let msg = resultMessage(command, deploy.errors?.length ?? 0, deploy.warnings?.length ?? 0);
  const counters: [number, string][] = [
    [deploy.newObjects, 'new objects'],
    [deploy.changedObjects, 'changed objects'],
    [deploy.appliedHookObjects, 'hooks run'],
    [deploy.deletedObjects, 'deleted objects'],
    [deploy.orphanObjects, 'orphan objects'],
  ];
  for (const [n, what] of counters) if (n) msg += ` ${n} ${what}.`;
  return msg;
}

/**
 * Reason and message of the final Ready condition, from the last deploy and validate results, as
 * Kluctl's controller builds them (verified against `kluctl controller run` by
 * test/parity/controller-parity.test.ts):
 * - the validate part counts the validate result's errors but the deploy result's warnings;
 * - with validation on and no validate result, the reason is ValidateFailed even after deploy errors.
 */
export function finalReadyStatus(
  deploy: CommandResultSummary | undefined,
  validate: ValidateResult | undefined,
  validateOn: boolean,
): { status: Condition['status']; reason: string; message: string } {
  const failed = (reason: string, message: string) => ({ status: 'False' as const, reason, message });
  if (!deploy) return failed(Reasons.deployFailed, 'deployment status unknown');
  let msg = deployResultMessage(deploy);
  if (validateOn) {
    if (!validate) return failed(Reasons.validateFailed, `${msg} Validation status unknown.`);
    msg += ` ${resultMessage('validate', validate.errors?.length ?? 0, deploy.warnings?.length ?? 0)}`;
  }
  if ((deploy.errors?.length ?? 0) > 0) return failed(Reasons.deployFailed, msg);
  if ((validate?.errors?.length ?? 0) > 0) return failed(Reasons.validateFailed, msg);
  return { status: 'True', reason: Reasons.succeeded, message: msg };
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
  // Kluctl omits an empty subDir.
  const clean = cleanSubDir(subDir ?? '');
  return { repoKey, ...(clean ? { subDir: clean } : {}) };
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
