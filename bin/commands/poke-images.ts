/**
 * `kluctl-serverless poke-images`: set only the images of the live workloads to what the project
 * renders (Kluctl's `poke-images`), after a confirmation unless `--yes`/`--dry-run`, and print the
 * command result like `deploy` does.
 */
import { runPokeImages } from '../../lib/deploy/commands/poke-images-command.js';
import { KsError } from '../../lib/errors.js';
import type { ProjectFlags } from './common.js';
import { askForConfirmation } from './command-output.js';
import type { OutputFlags } from './command-output.js';
import { runResultCommand } from './rendered-target.js';

interface PokeImagesFlags extends ProjectFlags, OutputFlags {
  dryRun?: boolean;
  yes?: boolean;
}

/** Pokes the images; exits non-zero when any object failed. */
export async function pokeImagesCommand(flags: PokeImagesFlags): Promise<void> {
  await runResultCommand(flags, { store: true }, async (env, project, rendered) => {
    if (!flags.yes && !flags.dryRun) {
      if (!(await askForConfirmation('Do you really want to poke images to the cluster?')))
        throw new KsError('Aborted', 'aborted');
    }
    return runPokeImages(env, project, rendered, { dryRun: flags.dryRun ?? false });
  });
}
