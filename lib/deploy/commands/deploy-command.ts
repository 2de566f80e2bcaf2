/**
 * The `deploy` and `diff` commands as data (kluctl-semantics §7.2, §7.3): apply every rendered object
 * (for real, or as a server-side dry run), diff it against the object as it was, find orphans with the
 * command's inclusion rules, and for `deploy --prune` delete them. `deploy` can first run the whole
 * thing as a dry run and hand that diff to a confirmation callback, as Kluctl's CLI does.
 */
import { errorMessage } from '../../errors.js';
import type { KubeObject, ObjectRef } from '../../ports.js';
import type { CommandResult, ResultObject } from '../command-result.js';
import { flagsSet } from '../deploy-flags.js';
import { deployProject } from '../deploy-project.js';
import type { DeployOptions } from '../deploy-types.js';
import { collectResultObjects } from '../diff/collect-objects.js';
import type { IgnoreFlags } from '../diff/ignore-rules.js';
import { NO_REF } from '../remote-objects.js';
import { refKey, refOf } from '../object-ref.js';
import { deleteObjects, findObjectsForDelete } from '../delete-objects.js';
import type { CommandEnv, CommandProject } from './command-base.js';
import { finishCommandResult, ignoreRulesByObject, newCommandResult, progressOf } from './command-base.js';

/** Engine options the commands pass through (prune, dry run and progress are set by the command). */
export type ApplyFlags = Omit<DeployOptions, 'prune' | 'dryRun' | 'progress' | 'clock'>;

/** Options of {@link runDiff}. */
export interface DiffCommandOptions extends ApplyFlags, IgnoreFlags {}

/** Options of {@link runDeploy}. */
export interface DeployCommandOptions extends ApplyFlags {
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  /** Wait until pruned objects are gone; default true (Kluctl's controller does not wait). */
  readonly waitPrune?: boolean;
  /**
   * Called with the dry-run diff before anything is changed; throwing (e.g. "aborted") stops the
   * deploy, and its message becomes the result's error. Omit for `--yes` / `--dry-run`.
   */
  readonly confirm?: (diff: CommandResult) => Promise<void>;
}

const NO_DISCRIMINATOR = 'no discriminator configured. Orphan object detection will not work';

/** `diff`: a server-side dry-run apply of everything, diffed; orphans listed. Never changes anything. */
export async function runDiff(
  env: CommandEnv,
  project: CommandProject,
  opts: DiffCommandOptions = {},
): Promise<CommandResult> {
  const r = await newCommandResult(env, project, 'diff', project.discriminator);
  const phase = await applyPhase(env, project, { ...opts, dryRun: true, noWait: true }, opts);
  return finishCommandResult(
    { ...r, objects: phase.objects, command: { ...r.command, dryRun: true } },
    env,
    phase,
  );
}

/** `deploy`: optional dry-run diff and confirmation, then apply, diff, orphans and optional prune. */
export async function runDeploy(
  env: CommandEnv,
  project: CommandProject,
  opts: DeployCommandOptions = {},
): Promise<CommandResult> {
  const base = await newCommandResult(env, project, 'deploy', project.discriminator);
  const r: CommandResult = { ...base, command: { ...base.command, ...flagsSet(opts) } };
  if (opts.confirm) {
    progressOf(env).step('Running a dry-run to show the diff');
    const diff = await applyPhase(env, project, { ...opts, dryRun: true, noWait: true, abortOnError: false });
    const diffResult = finishCommandResult({ ...r, objects: diff.objects }, env, diff);
    try {
      await opts.confirm(diffResult);
    } catch (err) {
      return finishCommandResult(r, env, { errors: [{ ref: NO_REF, message: errorMessage(err) }] });
    }
  }
  const phase = await applyPhase(env, project, { ...opts, dryRun: opts.dryRun ?? false });
  const errors = [...phase.errors];
  let objects = phase.objects;
  if (opts.prune && !project.discriminator) {
    errors.push({ ref: NO_REF, message: 'pruning without a discriminator is not supported' });
  } else if (opts.prune && phase.orphans.length > 0 && !opts.signal?.aborted) {
    progressOf(env).step(`Deleting ${phase.orphans.length} orphan objects`);
    // Under --dry-run the deletes are server-side dry runs that count as deleted, as in Kluctl.
    const del = await deleteObjects(env.kube, phase.orphans, {
      wait: (opts.waitPrune ?? true) && !opts.noWait,
      dryRun: opts.dryRun ?? false,
    });
    errors.push(...del.errors);
    objects = markDeleted(objects, del.deleted, del.skipped ?? []);
  }
  return finishCommandResult({ ...r, objects }, env, { errors, warnings: phase.warnings });
}

/** Marks deleted refs as deleted (no longer orphan); objects that went with their namespace vanish. */
function markDeleted(
  objects: readonly ResultObject[],
  deleted: readonly ObjectRef[],
  skipped: readonly ObjectRef[],
): ResultObject[] {
  const del = new Set(deleted.map(refKey));
  const gone = new Set(skipped.map(refKey));
  const out: ResultObject[] = [];
  for (const o of objects) {
    const k = refKey(o.ref);
    if (del.has(k)) {
      const { orphan: _orphan, ...rest } = o;
      out.push({ ...rest, deleted: true });
    } else if (gone.has(k) && o.orphan) {
      const { orphan: _orphan, ...rest } = o;
      if (rest.rendered || rest.applied) out.push(rest);
    } else out.push(o);
  }
  return out;
}

interface Phase {
  readonly objects: ResultObject[];
  readonly orphans: KubeObject[];
  readonly errors: { ref: ObjectRef; message: string }[];
  readonly warnings: { ref: ObjectRef; message: string }[];
}

/** One engine run (never pruning), with orphans filtered by inclusion and results keyed as Kluctl's. */
async function applyPhase(
  env: CommandEnv,
  project: CommandProject,
  opts: ApplyFlags & { dryRun: boolean },
  ignore: IgnoreFlags = {},
): Promise<Phase> {
  const progress = progressOf(env);
  const warnings: Phase['warnings'] = [];
  if (!project.discriminator) warnings.push({ ref: NO_REF, message: NO_DISCRIMINATOR });
  const out = await deployProject(
    env.kube,
    { discriminator: project.discriminator, items: project.items },
    {
      ...opts,
      prune: false,
      progress,
      ...(env.clock ? { clock: env.clock } : {}),
    },
  );
  // The engine's orphans ignore the command's inclusion rules and skip-delete-if-tags; filter them.
  const candidates = out.objects.flatMap((e) => (e.orphan && e.remote ? [e.remote] : []));
  const orphans = findObjectsForDelete(candidates, env.inclusion ? { inclusion: env.inclusion } : {});
  const keep = new Set(orphans.map((o) => refKey(refOf(o))));
  const entries = out.objects.map((e) => {
    if (!e.orphan || keep.has(refKey(e.ref))) return e;
    const { orphan: _orphan, ...rest } = e;
    return rest;
  });
  const objects = collectResultObjects(entries, { rulesFor: ignoreRulesByObject(project, ignore) });
  return { objects, orphans, errors: [...out.errors], warnings: [...warnings, ...out.warnings] };
}
