/**
 * No-op reconcile through the reconcile function (`npm run bench -- noop-reconcile-function`): after a first reconcile that deploys, a reconcile with the same commit
 * and objects must cost a small, constant number of API and state-store calls (goal: at most 3 S3
 * calls). Each reconcile goes through the reconcile function's handler with the parts its composition
 * root wires (functions/reconcile/compose.ts): the clone cache in front of Git and the schedule index
 * written after each run. The deploying reconcile of the same run is the baseline. State is a local
 * folder here; S3 sees the same calls.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsStateStore } from '../lib/adapters/fs-state-store.js';
import { silentLogger, systemClock } from '../lib/ports.js';
import { handleReconcileBatch } from '../functions/reconcile/handler.js';
import type { ReconcileFunctionDeps } from '../functions/reconcile/handler.js';
import { HttpKubeClientFactory } from '../lib/adapters/kube-client-factory.js';
import { cloneCachedGit } from '../lib/compose/clone-cached-git.js';
import { nextRunRecorder } from '../lib/serverless/schedule-index.js';
import { sqsEvent } from '../devenv/lambda-events.js';
import { toolPath } from '../devenv/tools.js';
import { kubectl } from '../devenv/control-plane.js';
import { createRepo, readTree } from '../devenv/git-repo.js';
import { countingStore } from './counting-store.js';
import { since, withReconcileBench } from './cluster.js';

/** The project reconciled: the test suite's smallest fixture project. */
const PROJECT_DIR = fileURLToPath(new URL('../test/fixtures/projects/skeleton', import.meta.url));

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withReconcileBench(async ({ kc, kube, git, dir }) => {
    const repo = await createRepo(git, 'bench', await readTree(PROJECT_DIR));
    const kd = {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name: 'b', namespace: 'bench' },
      spec: {
        interval: '5m',
        source: { git: { url: repo.url } },
        target: 'dev',
        args: { namespace: 'bench' },
      },
    };
    await kubectl(kc, ['apply', '-f', '-'], { input: JSON.stringify(kd) });
    const counts: Record<string, number> = {};
    const store = countingStore(new FsStateStore(join(dir, 'state')), counts);
    const clusterId = await kube.clusterId();
    const recordNextRun = nextRunRecorder(store, { clock: systemClock });
    // As functions/reconcile/compose.ts wires them.
    const deps: ReconcileFunctionDeps = {
      shared: {
        store,
        git: cloneCachedGit(store, silentLogger),
        clock: systemClock,
        logger: silentLogger,
        workDir: dir,
        kustomizePath: toolPath('kustomize'),
        holder: 'bench',
        stateVersions: new Map(),
      },
      clusters: {
        forCluster: async () => ({ kube, clusters: new HttpKubeClientFactory(kube), close() {} }),
      },
      onReconciled: (msg, outcome) =>
        recordNextRun({ clusterId, namespace: msg.namespace, name: msg.name }, outcome.nextRunAt),
    };
    for (const name of ['first reconcile (deploys)', 'no-op reconcile', 'no-op reconcile again']) {
      for (const k of Object.keys(counts)) delete counts[k];
      const api0 = { ...kube.stats.byVerb };
      const total0 = kube.stats.total;
      const t0 = performance.now();
      const body = JSON.stringify({ clusterId, namespace: 'bench', name: 'b', reason: 'schedule' });
      const msg = { MessageId: `m-${name.length}-${Date.now()}`, ReceiptHandle: 'r', Body: body };
      const res = await handleReconcileBatch(sqsEvent('arn:aws:sqs:us-east-1:0:bench.fifo', [msg]), deps);
      const ms = since(t0);
      const apiByVerb = Object.fromEntries(
        Object.entries(kube.stats.byVerb)
          .map(([v, n]) => [v, n - (api0[v] ?? 0)])
          .filter(([, n]) => (n as number) > 0),
      );
      const s3Calls = Object.values(counts).reduce((a, b) => a + b, 0);
      process.stdout.write(
        `${JSON.stringify({ bench: 'noop-reconcile-function', case: name, failed: res.batchItemFailures.length, ms, apiCalls: kube.stats.total - total0, apiByVerb, s3Calls, stateCalls: { ...counts } })}\n`,
      );
    }
  });
}
