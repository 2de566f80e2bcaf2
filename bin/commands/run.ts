/** `kluctl-serverless run`: the local runner. */
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../../lib/api/constants.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { formatStatusTable } from '../../lib/runner/status-table.js';
import { reconcileDeps } from '../compose.js';
import type { ClusterFlags, StateFlags } from '../compose.js';

interface RunFlags extends ClusterFlags, StateFlags {
  namespace?: string;
  tick: string;
  concurrency: string;
  once?: boolean;
  debug?: boolean;
  defaultServiceAccount?: string;
}

/** Runs until Ctrl-C, or reconciles everything once with --once. */
export async function run(flags: RunFlags): Promise<void> {
  const { deps, kube, stateWhere } = await reconcileDeps(flags);
  process.stderr.write(`local runner: state in ${stateWhere}; press Ctrl-C to stop\n`);
  const runner = new LocalRunner(deps, {
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    tickMs: Number(flags.tick) * 1000,
    concurrency: Number(flags.concurrency),
    onReconciled: (key, o) => process.stderr.write(`${key}: ${o.outcome}: ${o.message}\n`),
  });
  if (flags.once) {
    await runner.tick();
    await printTable(kube, flags.namespace);
    kube.close();
    return;
  }
  runner.start();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.stderr.write('stopping: waiting for running reconciles to write their status\n');
      void runner.stop().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  kube.close();
}

/** Prints the deployments like `kubectl get kluctldeployments`. */
export async function printTable(
  kube: Awaited<ReturnType<typeof reconcileDeps>>['kube'],
  namespace?: string,
): Promise<void> {
  const info = await kube.resolve(`${GITOPS_GROUP}/${GITOPS_VERSION}`, KD_KIND);
  if (!info) return;
  const kds = (await kube.list(info, namespace ? { namespace } : {})) as KluctlDeployment[];
  process.stdout.write(`${formatStatusTable(kds, new Date())}\n`);
}
