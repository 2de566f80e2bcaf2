/**
 * `gitops logs`: the log lines of reconciles, as `kluctl gitops logs` shows the controller's. There is
 * no controller pod, so the lines come from where the reconciler keeps them per reconcile id: the
 * state store (`--state-dir` or `--s3-bucket`, as for `run`; lib/reconcile/reconcile-log.ts). A status
 * line on stderr names the deployment and reconcile id, the messages go to stdout.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../lib/api/durations.js';
import { readReconcileLogs } from '../../lib/reconcile/reconcile-log.js';
import type { ReconcileLog } from '../../lib/reconcile/reconcile-log.js';
import { deploymentName, selectDeployments } from '../../lib/gitops/select-deployments.js';
import type { StateStore } from '../../lib/ports.js';
import { kubeClient, stateStore } from '../compose.js';
import type { StateFlags } from '../compose.js';
import { stderrProgress } from './command-output.js';
import { gitopsOptions, logOptions, selectionOf } from './gitops-flags.js';
import type { GitopsFlags, LogFlags } from './gitops-flags.js';

interface LogsFlags extends GitopsFlags, LogFlags, StateFlags {
  reconcileId?: string;
  follow?: boolean;
  all?: boolean;
}

/** Adds `logs` to `gitops`. */
export function gitopsLogsCommand(gitops: Command): void {
  logOptions(
    gitopsOptions(
      gitops
        .command('logs')
        .description('Show the log lines of reconciles (kept per reconcile id in the state store)'),
    ),
  )
    .option('--reconcile-id <id>', 'only the lines of this reconcile')
    .option('-f, --follow', 'keep printing the logs of new reconciles')
    .option('--all', 'every deployment of the namespace')
    .option('--state-dir <dir>', "the runner's state folder", '.kluctl-serverless/state')
    .option('--s3-bucket <bucket>', 'the state bucket instead ($KLUCTL_SERVERLESS_S3_BUCKET)')
    .option('--s3-endpoint <url>', 'S3 endpoint, e.g. LocalStack ($KLUCTL_SERVERLESS_S3_ENDPOINT)')
    .action(async (f: LogsFlags) => {
      const kube = await kubeClient({
        ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
        ...(f.context ? { context: f.context } : {}),
      });
      try {
        const { store } = await stateStore(f);
        const { deployments } = await selectDeployments(
          kube,
          await selectionOf(f, f.all ? 'all' : 'auto-detect'),
        );
        const clusterId = await kube.clusterId();
        const ids = deployments.map((kd) => ({
          clusterId,
          namespace: kd.metadata.namespace ?? '',
          name: kd.metadata.name,
          label: deploymentName(kd),
        }));
        const since = Date.now() - parseDuration(f.logSince);
        const shown = new Set<string>();
        for (;;) {
          for (const d of ids) await printNew(store, d, f, shown, f.reconcileId ? 0 : since);
          if (!f.follow) return;
          await new Promise((r) => setTimeout(r, 2000));
        }
      } finally {
        kube.close();
      }
    });
}

/** Prints the logs of `d` not printed yet, those of `--reconcile-id` only, or those ending after `since`. */
async function printNew(
  store: StateStore,
  d: { clusterId: string; namespace: string; name: string; label: string },
  f: LogsFlags,
  shown: Set<string>,
  since: number,
): Promise<void> {
  for (const log of await readReconcileLogs(store, d)) {
    if (shown.has(log.reconcileId) || (f.reconcileId && log.reconcileId !== f.reconcileId)) continue;
    if (endOf(log) < since) continue;
    shown.add(log.reconcileId);
    stderrProgress.step(`Showing logs for ${d.label} and reconciliation ID ${log.reconcileId}`);
    for (const l of log.lines) process.stdout.write(f.logTime ? `${l.ts}: ${l.msg}\n` : `${l.msg}\n`);
  }
}

function endOf(log: ReconcileLog): number {
  return Date.parse(log.lines[log.lines.length - 1]?.ts ?? '') || 0;
}
