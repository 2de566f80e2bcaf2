/** `kluctl-serverless prune`: deletes kluctl-managed objects that are no longer rendered. */
import { runPrune } from '../../lib/deploy/commands/prune-command.js';
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

interface PruneFlags extends ProjectFlags, OutputFlags {
  dryRun?: boolean;
  yes?: boolean;
  discriminator?: string;
}

/** Lists orphans, asks (unless --yes/--dry-run), deletes them and waits until they are gone. */
export async function prune(flags: PruneFlags): Promise<void> {
  await withRenderedTarget(flags, async (kube, rendered) => {
    const env = await cliCommandEnv(kube, flags);
    const r = await runPrune(env, commandProject(rendered), {
      ...(flags.discriminator ? { discriminator: flags.discriminator } : {}),
      dryRun: flags.dryRun ?? false,
      wait: true,
      confirm: (refs) => confirmDeletion(refs, flags),
    });
    if (!flags.dryRun) await writeCommandResult(r, flags);
    await outputCommandResult(r, flags);
    exitOnErrors(r);
  });
}
