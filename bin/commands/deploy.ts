/**
 * `kluctl-serverless deploy`: render, show the diff of a dry run and ask (unless `--yes`/`--dry-run`),
 * apply with server-side apply, optionally prune, print the result and optionally store it.
 */
import { parseDuration } from '../../lib/api/durations.js';
import { runDeploy } from '../../lib/deploy/commands/deploy-command.js';
import { deployFlagsOf } from '../../lib/deploy/deploy-flags.js';
import { KsError } from '../../lib/errors.js';
import type { ProjectFlags } from './common.js';
import { askForConfirmation, outputCommandResult } from './command-output.js';
import type { OutputFlags } from './command-output.js';
import { runResultCommand } from './rendered-target.js';

interface DeployFlags extends ProjectFlags, OutputFlags {
  dryRun?: boolean;
  prune?: boolean;
  abortOnError?: boolean;
  forceApply?: boolean;
  replaceOnError?: boolean;
  forceReplaceOnError?: boolean;
  /** commander's negation of `--no-wait`. */
  wait?: boolean;
  readinessTimeout: string;
  yes?: boolean;
}

/** Deploys; exits non-zero (`command failed`) when any object failed. */
export async function deploy(flags: DeployFlags): Promise<void> {
  await runResultCommand(flags, { store: true }, (env, project) =>
    runDeploy(env, project, {
      ...deployFlagsOf({ ...flags, noWait: flags.wait === false }),
      prune: flags.prune ?? false,
      readinessTimeoutMs: parseDuration(flags.readinessTimeout),
      ...(flags.yes || flags.dryRun
        ? {}
        : {
            confirm: async (diff) => {
              // The diff is shown as text on stdout, whatever -o says (Kluctl's default output).
              await outputCommandResult(diff, { ...flags, outputFormat: [] });
              const question =
                diff.errors.length > 0
                  ? 'The diff resulted in errors, do you still want to proceed?'
                  : 'The diff succeeded, do you want to proceed?';
              if (!(await askForConfirmation(question))) throw new KsError('Aborted', 'aborted');
            },
          }),
    }),
  );
}
