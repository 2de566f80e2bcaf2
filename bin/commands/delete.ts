/**
 * `kluctl-serverless delete`: deletes every kluctl-managed object with the target's discriminator
 * (filtered by the inclusion flags), whether or not the project still renders it.
 */
import { runDelete } from '../../lib/deploy/commands/prune-command.js';
import type { ProjectFlags } from './common.js';
import {
  cliCommandEnv,
  confirmDeletion,
  exitOnErrors,
  outputCommandResult,
  writeCommandResult,
} from './command-output.js';
import type { OutputFlags } from './command-output.js';
import { commandProject, withRenderedTarget } from './rendered-target.js';

interface DeleteFlags extends ProjectFlags, OutputFlags {
  dryRun?: boolean;
  yes?: boolean;
  discriminator?: string;
  /** commander's negation of `--no-wait`. */
  wait?: boolean;
}

/** Lists the objects, asks (unless --yes/--dry-run), deletes them and (unless --no-wait) waits. */
export async function deleteCommand(flags: DeleteFlags): Promise<void> {
  await withRenderedTarget(flags, async (kube, rendered) => {
    const env = await cliCommandEnv(kube, flags);
    const r = await runDelete(env, commandProject(rendered), {
      ...(flags.discriminator ? { discriminator: flags.discriminator } : {}),
      dryRun: flags.dryRun ?? false,
      wait: flags.wait !== false,
      confirm: (refs) => confirmDeletion(refs, flags),
    });
    if (!flags.dryRun) await writeCommandResult(r, flags);
    await outputCommandResult(r, flags);
    exitOnErrors(r);
  });
}
