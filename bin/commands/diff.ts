/** `kluctl-serverless diff`: a server-side dry run of the deploy, printed as a diff with orphans. */
import { runDiff } from '../../lib/deploy/commands/deploy-command.js';
import { deployFlagsOf } from '../../lib/deploy/deploy-flags.js';
import type { ProjectFlags } from './common.js';
import type { OutputFlags } from './command-output.js';
import { runResultCommand } from './rendered-target.js';

interface DiffFlags extends ProjectFlags, OutputFlags {
  forceApply?: boolean;
  replaceOnError?: boolean;
  forceReplaceOnError?: boolean;
  ignoreTags?: boolean;
  ignoreLabels?: boolean;
  ignoreAnnotations?: boolean;
  ignoreKluctlMetadata?: boolean;
}

/**
 * Runs the diff (always a dry run that does not wait: runDiff sets both); exits non-zero
 * (`command failed`) when it had errors. Never writes results.
 */
export async function diff(flags: DiffFlags): Promise<void> {
  await runResultCommand(flags, { store: false }, (env, project) =>
    runDiff(env, project, {
      ...deployFlagsOf(flags),
      ignoreTags: flags.ignoreTags ?? false,
      ignoreLabels: flags.ignoreLabels ?? false,
      ignoreAnnotations: flags.ignoreAnnotations ?? false,
      ignoreKluctlMetadata: flags.ignoreKluctlMetadata ?? false,
    }),
  );
}
