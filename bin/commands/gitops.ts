/**
 * `kluctl-serverless gitops ...`: Kluctl's `kluctl gitops` commands against our reconciler (or Kluctl's
 * controller: both speak the same request protocol and result store). Requests are sent as
 * `kluctl.io/request-*` annotations, progress goes to stderr, the result to stdout as Kluctl prints it,
 * and a failed command exits non-zero.
 */
import { Command } from 'commander';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { formatValidateResult } from '../../lib/deploy/result-output.js';
import { KsError } from '../../lib/errors.js';
import {
  approveHash,
  cleanupDiffResult,
  hashToApprove,
  needsApproval,
  runRequest,
  setSuspended,
} from '../../lib/gitops/gitops-commands.js';
import type { GitopsDeps } from '../../lib/gitops/gitops-commands.js';
import type { WaitEvent } from '../../lib/gitops/request-client.js';
import { KluctlResultReader } from '../../lib/gitops/result-reader.js';
import { deploymentName, selectDeployments } from '../../lib/gitops/select-deployments.js';
import type { NoSelection } from '../../lib/gitops/select-deployments.js';
import { systemClock } from '../../lib/ports.js';
import type { RequestKind } from '../../lib/reconcile/manual-requests.js';
import { kubeClient } from '../compose.js';
import { askForConfirmation, stderrProgress, terminalWidth } from './command-output.js';
import {
  gitopsOptions,
  logOptions,
  noWaitOf,
  overrideOptions,
  overridesOf,
  resultOutputOptions,
  selectionOf,
} from './gitops-flags.js';
import type { GitopsFlags, OverrideFlags } from './gitops-flags.js';
import { gitopsLogsCommand } from './gitops-logs.js';
import { gitopsResultCommands, printCommandResult, writeAll } from './gitops-results.js';
import type { ResultFlags } from './gitops-results.js';

type RequestFlags = GitopsFlags & Partial<OverrideFlags> & Partial<ResultFlags> & { yes?: boolean };

const say = stderrProgress.step;

/** Builds the `gitops` command with its sub-commands. */
export function gitopsCommand(): Command {
  const gitops = new Command('gitops').description(
    'GitOps sub-commands: drive KluctlDeployments through their reconciler',
  );
  requestCommand(gitops, 'deploy', 'Trigger a GitOps deployment (kluctl.io/request-deploy)', {
    output: true,
    deployExtras: true,
  });
  requestCommand(gitops, 'diff', 'Trigger a GitOps diff (kluctl.io/request-diff)', { output: true });
  requestCommand(gitops, 'prune', 'Trigger a GitOps prune (kluctl.io/request-prune)', { output: true });
  requestCommand(gitops, 'reconcile', 'Trigger a GitOps reconciliation (kluctl.io/request-reconcile)', {});
  const validate = requestCommand(
    gitops,
    'validate',
    'Trigger a GitOps validate (kluctl.io/request-validate)',
    {},
  );
  validate
    .option(
      '-o, --output <format[=path]>',
      'text, json or yaml, optionally into a file (repeatable)',
      collect,
      [],
    )
    .option('--warnings-as-errors', 'count warnings as failures');
  for (const resume of [false, true]) suspendCommand(gitops, resume);
  approveCommand(gitops);
  gitopsResultCommands(gitops);
  gitopsLogsCommand(gitops);
  return gitops;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** The clients a command uses. */
async function gitopsDeps(f: GitopsFlags): Promise<GitopsDeps & { close(): void }> {
  const kube = await kubeClient({
    ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
    ...(f.context ? { context: f.context } : {}),
  });
  return {
    kube,
    results: new KluctlResultReader(kube, f.commandResultNamespace),
    clock: systemClock,
    close: () => kube.close(),
  };
}

/**
 * The deployments to act on. Commands that change something ask before acting on auto-detected ones
 * (Kluctl's prompt), unless `--yes`.
 */
async function pick(
  deps: GitopsDeps,
  f: GitopsFlags & { yes?: boolean },
  noSelection: NoSelection,
  ask: boolean,
): Promise<KluctlDeployment[]> {
  const selection = await selectionOf(f, noSelection);
  const { deployments, warnings } = await selectDeployments(deps.kube, selection);
  for (const w of warnings) say(w);
  const autoDetected = !f.name && !f.labelSelector && noSelection === 'auto-detect';
  if (autoDetected && ask && !f.yes) {
    const names = deployments.map(deploymentName).join(', ');
    if (!(await askForConfirmation(`Auto-detected ${names}, do you want to run the command for it?`))) {
      throw new KsError('Aborted', 'aborted');
    }
  }
  return deployments;
}

/** Prints what a request's wait reports, as Kluctl's status lines. */
function progressPrinter(): (e: WaitEvent) => void {
  return (e) => {
    if (e.type === 'waiting-for-start') say('Waiting for controller to start processing the request');
    else if (e.type === 'started') say(`Request taken by reconcile ${e.reconcileId}`);
    else say(`  ${e.message}`);
  };
}

function requestCommand(
  parent: Command,
  kind: RequestKind,
  description: string,
  opts: { output?: boolean; deployExtras?: boolean },
): Command {
  const cmd = gitopsOptions(parent.command(kind).description(description));
  logOptions(cmd);
  overrideOptions(cmd, opts.deployExtras ?? false);
  if (opts.output) resultOutputOptions(cmd);
  cmd.option('-y, --yes', 'do not ask before acting on auto-detected deployments');
  return cmd.action(
    async (flags: RequestFlags & { output?: string[]; warningsAsErrors?: boolean }, c: Command) => {
      const deps = await gitopsDeps(flags);
      try {
        const noWait = noWaitOf(c);
        const overrides = overridesOf({ ...flags, ...(noWait !== undefined ? { noWait } : {}) });
        // Kluctl's diff acts on auto-detected deployments without asking; the others ask.
        const kds = await pick(deps, flags, 'auto-detect', kind !== 'diff');
        for (const kd of kds) {
          say(`Patching KluctlDeployment ${deploymentName(kd)}`);
          const out = await runRequest(deps, kd, kind, overrides, { onProgress: progressPrinter() });
          if (out.commandResult) {
            await printCommandResult(out.commandResult, flags);
            if (kind === 'diff') {
              await cleanupDiffResult(deps, kd, out.record).catch((err: unknown) =>
                say(`Failed to cleanup diff result: ${(err as Error).message}`),
              );
            }
          }
          if (kind === 'validate') {
            if (out.validateResult) {
              const r = out.validateResult;
              await writeAll(flags.output ?? [], (format) =>
                formatValidateResult(r, format, terminalWidth()),
              );
              const failed =
                (r.errors?.length ?? 0) > 0 ||
                (flags.warningsAsErrors === true && (r.warnings?.length ?? 0) > 0);
              if (failed) throw new KsError('InvalidInput', 'Validation failed');
              say('Validation succeeded');
            } else say('No validation result was returned.');
          }
          if (out.record.commandError) throw new KsError('KubeApi', out.record.commandError);
        }
      } finally {
        deps.close();
      }
    },
  );
}

function suspendCommand(parent: Command, resume: boolean): void {
  const name = resume ? 'resume' : 'suspend';
  const cmd = gitopsOptions(
    parent
      .command(name)
      .description(
        resume
          ? 'Resume a GitOps deployment (sets spec.suspend to false)'
          : 'Suspend a GitOps deployment (sets spec.suspend to true)',
      ),
  );
  logOptions(cmd)
    .option('--all', `${name} every deployment of the namespace`)
    .option('-y, --yes', 'do not ask before acting on auto-detected deployments')
    .action(async (flags: GitopsFlags & { all?: boolean; yes?: boolean }) => {
      const deps = await gitopsDeps(flags);
      try {
        for (const kd of await pick(deps, flags, flags.all ? 'all' : 'auto-detect', true)) {
          say(`Patching KluctlDeployment ${deploymentName(kd)}`);
          say('Waiting for final reconciliation to finish');
          await setSuspended(deps, kd, !resume);
        }
      } finally {
        deps.close();
      }
    });
}

function approveCommand(parent: Command): void {
  const cmd = gitopsOptions(
    parent
      .command('approve')
      .description(
        'Show what a manual deployment would change and approve it: sets spec.manualObjectsHash to the rendered objects hash, then waits for the deploy',
      ),
  );
  resultOutputOptions(cmd)
    .option('-y, --yes', 'approve without asking')
    .action(async (flags: GitopsFlags & ResultFlags & { yes?: boolean }) => {
      const deps = await gitopsDeps(flags);
      try {
        for (const kd of await pick(deps, flags, 'auto-detect', false)) {
          say(`Diffing KluctlDeployment ${deploymentName(kd)}`);
          const diff = await runRequest(deps, kd, 'diff', {}, { onProgress: progressPrinter() });
          if (diff.commandResult) {
            await printCommandResult(diff.commandResult, flags);
            await cleanupDiffResult(deps, kd, diff.record).catch(() => undefined);
          }
          if (diff.record.commandError) throw new KsError('KubeApi', diff.record.commandError);
          const hash = hashToApprove(kd, diff.commandResult);
          if (!needsApproval(kd, hash)) {
            say(`${deploymentName(kd)}: rendered objects hash ${hash} is already approved`);
            continue;
          }
          const question = `Approve rendered objects hash ${hash} of ${deploymentName(kd)}?`;
          if (!flags.yes && !(await askForConfirmation(question))) throw new KsError('Aborted', 'aborted');
          say(`Approving ${hash}; waiting for the reconcile to deploy it`);
          const after = await approveHash(deps, kd, hash!);
          const ready = after.status?.conditions?.find((c) => c.type === 'Ready');
          say(`${deploymentName(kd)}: Ready=${ready?.status ?? 'Unknown'} ${ready?.message ?? ''}`.trimEnd());
          if (ready?.status === 'False')
            throw new KsError('KubeApi', `deploy after approval failed: ${ready.message}`);
        }
      } finally {
        deps.close();
      }
    });
}
