/**
 * `kluctl-serverless prune` and `delete`: delete kluctl-managed objects with the target's discriminator
 * (filtered by the inclusion flags): for `prune` those the project no longer renders, for `delete` all
 * of them. Both list the objects, ask (unless `--yes`/`--dry-run`) and wait until they are gone;
 * `--dry-run` sends the deletes as server-side dry runs, which the result counts as deleted (Kluctl).
 */
import { runDelete, runPrune } from '../../lib/deploy/commands/prune-command.js';
import type { DeleteCommandOptions } from '../../lib/deploy/commands/prune-command.js';
import type { ProjectFlags } from './common.js';
import { confirmDeletion } from './command-output.js';
import type { OutputFlags } from './command-output.js';
import { runResultCommand } from './rendered-target.js';

interface DeletionFlags extends ProjectFlags, OutputFlags {
  dryRun?: boolean;
  yes?: boolean;
  discriminator?: string;
}

interface DeleteFlags extends DeletionFlags {
  /** commander's negation of `--no-wait` (only `delete` has it). */
  wait?: boolean;
}

/** Deletes orphans, waiting until they are gone; exits non-zero when any deletion failed. */
export async function prune(flags: DeletionFlags): Promise<void> {
  await runResultCommand(flags, { store: true }, (env, project) =>
    runPrune(env, project, deletionOptions(flags, true)),
  );
}

/** Deletes every managed object, waiting unless `--no-wait`; exits non-zero when any deletion failed. */
export async function deleteCommand(flags: DeleteFlags): Promise<void> {
  await runResultCommand(flags, { store: true }, (env, project) =>
    runDelete(env, project, deletionOptions(flags, flags.wait !== false)),
  );
}

function deletionOptions(flags: DeletionFlags, wait: boolean): DeleteCommandOptions {
  return {
    ...(flags.discriminator ? { discriminator: flags.discriminator } : {}),
    dryRun: flags.dryRun ?? false,
    wait,
    confirm: (refs) => confirmDeletion(refs, flags),
  };
}
