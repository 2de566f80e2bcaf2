/**
 * The `prune` and `delete` commands as data (kluctl-semantics §7.4, §7.5): find the kluctl-managed
 * live objects with the discriminator (all of them for `delete`, those no longer rendered for
 * `prune`), filtered by the inclusion rules, let the caller confirm the list, then delete them in
 * Kluctl's order and, unless told not to, wait until they are gone.
 */
import { errorMessage } from '../../errors.js';
import type { KubeObject, ObjectRef } from '../../ports.js';
import type { CommandResult, ResultObject } from '../command-result.js';
import { refKey, refOf } from '../object-ref.js';
import { deleteObjects, findObjectsForDelete } from '../delete-objects.js';
import { collectRemoteObjects, NO_REF } from '../remote-objects.js';
import type { CommandEnv, CommandProject } from './command-base.js';
import { deployedObjects, finishCommandResult, newCommandResult, progressOf } from './command-base.js';

/** Options of {@link runPrune} and {@link runDelete}. */
export interface DeleteCommandOptions {
  /** Overrides the target's discriminator (`--discriminator`). */
  readonly discriminator?: string;
  /**
   * Delete nothing: the deletes are server-side dry runs, and what the API server accepted is
   * reported as deleted (Kluctl's `--dry-run`).
   */
  readonly dryRun?: boolean;
  /** Wait until deleted objects are gone; default true (`--no-wait` turns it off for delete). */
  readonly wait?: boolean;
  /** Gets the refs about to be deleted; throwing stops the command (its message becomes the error). */
  readonly confirm?: (refs: readonly ObjectRef[]) => Promise<void>;
}

/** `prune`: deletes orphans (managed objects with the discriminator that are no longer rendered). */
export function runPrune(
  env: CommandEnv,
  project: CommandProject,
  opts: DeleteCommandOptions = {},
): Promise<CommandResult> {
  return runDeletion(env, project, opts, 'prune');
}

/** `delete`: deletes every managed object with the discriminator the inclusion rules keep. */
export function runDelete(
  env: CommandEnv,
  project: CommandProject | undefined,
  opts: DeleteCommandOptions = {},
): Promise<CommandResult> {
  return runDeletion(env, project, opts, 'delete');
}

async function runDeletion(
  env: CommandEnv,
  project: CommandProject | undefined,
  opts: DeleteCommandOptions,
  command: 'prune' | 'delete',
): Promise<CommandResult> {
  const discriminator = opts.discriminator || project?.discriminator || '';
  const base = await newCommandResult(env, project, command, discriminator);
  const r: CommandResult = { ...base, command: { ...base.command, dryRun: opts.dryRun ?? false } };
  const fail = (message: string): CommandResult =>
    finishCommandResult(r, env, { errors: [{ ref: NO_REF, message }] });
  if (!discriminator)
    return fail(
      command === 'prune'
        ? 'pruning without a discriminator is not supported'
        : 'deletion without a discriminator is not supported',
    );
  const rendered = project ? deployedObjects(project) : [];
  const progress = progressOf(env);
  progress.step('Getting remote objects by discriminator');
  let remote;
  try {
    remote = await collectRemoteObjects(env.kube, discriminator, rendered, { getMissing: false });
  } catch (err) {
    return fail(errorMessage(err));
  }
  const all = [...remote.byKey.values()];
  const doomed = findObjectsForDelete(all, {
    ...(command === 'prune' ? { exclude: rendered } : {}),
    ...(env.inclusion ? { inclusion: env.inclusion } : {}),
  });
  try {
    await opts.confirm?.(doomed.map(refOf));
  } catch (err) {
    return finishCommandResult(r, env, {
      errors: [{ ref: NO_REF, message: errorMessage(err) }],
      warnings: remote.warnings,
    });
  }
  let deleted: ObjectRef[] = [];
  let skipped: ObjectRef[] = [];
  const errors: { ref: ObjectRef; message: string }[] = [];
  if (doomed.length > 0) {
    progress.step(`Deleting ${doomed.length} objects`);
    // A dry run sends the deletes as server-side dry runs: they count as deleted, as in Kluctl.
    const del = await deleteObjects(env.kube, doomed, {
      wait: opts.wait ?? true,
      dryRun: opts.dryRun ?? false,
    });
    deleted = del.deleted;
    skipped = del.skipped ?? [];
    errors.push(...del.errors);
  }
  const objects = resultObjects(rendered, all, doomed, deleted, skipped, command);
  return finishCommandResult({ ...r, objects }, env, { errors, warnings: remote.warnings });
}

/** Rendered objects (with their live state), deleted ones, and orphans not deleted (prune only). */
function resultObjects(
  rendered: readonly KubeObject[],
  remote: readonly KubeObject[],
  doomed: readonly KubeObject[],
  deleted: readonly ObjectRef[],
  skipped: readonly ObjectRef[],
  command: 'prune' | 'delete',
): ResultObject[] {
  const m = new Map<string, ResultObject>();
  const live = new Map(remote.map((o) => [refKey(refOf(o)), o]));
  for (const o of rendered) {
    const k = refKey(refOf(o));
    const rem = live.get(k);
    m.set(k, { ref: refOf(o), rendered: o, ...(rem ? { remote: rem } : {}) });
  }
  const gone = new Set([...deleted, ...skipped].map(refKey));
  for (const ref of deleted) {
    const k = refKey(ref);
    const rem = live.get(k);
    m.set(k, { ...(m.get(k) ?? { ref }), ...(rem ? { remote: rem } : {}), deleted: true });
  }
  if (command === 'prune') {
    for (const o of doomed) {
      const k = refKey(refOf(o));
      if (!gone.has(k)) m.set(k, { ref: refOf(o), remote: o, orphan: true });
    }
  }
  return [...m.values()];
}
