/** `kluctl-serverless diff`: a server-side dry run of the deploy, printed as a diff with orphans. */
import { runDiff } from '../../lib/deploy/commands/deploy-command.js';
import type { ProjectFlags } from './common.js';
import { cliCommandEnv, exitOnErrors, outputCommandResult } from './command-output.js';
import type { OutputFlags } from './command-output.js';
import { commandProject, withRenderedTarget } from './rendered-target.js';

interface DiffFlags extends ProjectFlags, OutputFlags {
  forceApply?: boolean;
  replaceOnError?: boolean;
  forceReplaceOnError?: boolean;
  ignoreTags?: boolean;
  ignoreLabels?: boolean;
  ignoreAnnotations?: boolean;
  ignoreKluctlMetadata?: boolean;
}

/** Runs the diff; exits non-zero (`command failed`) when it had errors. Never writes results. */
export async function diff(flags: DiffFlags): Promise<void> {
  await withRenderedTarget(flags, async (kube, rendered) => {
    const env = await cliCommandEnv(kube, flags);
    const r = await runDiff(env, commandProject(rendered), {
      forceApply: flags.forceApply ?? false,
      replaceOnError: flags.replaceOnError ?? false,
      forceReplaceOnError: flags.forceReplaceOnError ?? false,
      ignoreTags: flags.ignoreTags ?? false,
      ignoreLabels: flags.ignoreLabels ?? false,
      ignoreAnnotations: flags.ignoreAnnotations ?? false,
      ignoreKluctlMetadata: flags.ignoreKluctlMetadata ?? false,
    });
    await outputCommandResult(r, flags);
    exitOnErrors(r);
  });
}
