/**
 * No-op reconcile benchmark: after a first reconcile that deploys, a reconcile with the same commit
 * and objects must cost a small, constant number of API and state-store calls. The deploying reconcile
 * of the same run is the baseline. State is a local folder here; S3 sees the same calls.
 *
 * The second part measures drift detection, which Kluctl runs on every reconcile, on an unchanged
 * deployment of 500 objects: the no-op reconcile with it (the resourceVersions remembered from the
 * deploy let the diff skip every object), without it, and with it but nothing remembered (a full
 * dry-run diff of every object, what Kluctl's controller pays after each restart).
 */
import { join } from 'node:path';
import { FsStateStore } from '../lib/adapters/fs-state-store.js';
import { IsomorphicGitSource } from '../lib/adapters/isomorphic-git-source.js';
import { silentLogger, systemClock } from '../lib/ports.js';
import { reconcileDeployment } from '../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../lib/reconcile/reconcile.js';
import { toolPath } from '../devenv/tools.js';
import { kubectl } from '../devenv/control-plane.js';
import { fixtureFiles } from '../test/support/fixtures.js';
import { createRepo } from '../devenv/git-repo.js';
import { countingStore } from './counting-store.js';
import { since, withReconcileBench } from './cluster.js';
import type { ReconcileBench as Bench } from './cluster.js';

/** Objects of the drift detection cases. */
const DRIFT_OBJECTS = 500;
/** Items they are spread over (applied in parallel, as Kluctl does). */
const DRIFT_ITEMS = 5;

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withReconcileBench(async (b) => {
    await skeletonCases(b);
    await driftCases(b);
  });
}

/** The skeleton project: a deploying reconcile, then two no-op ones. */
async function skeletonCases(b: Bench): Promise<void> {
  const repo = await createRepo(b.git, 'bench', await fixtureFiles('skeleton'));
  await applyKd(b.kc, 'b', {
    source: { git: { url: repo.url } },
    target: 'dev',
    args: { namespace: 'bench' },
  });
  const run = runner(b, 'state');
  for (const name of ['first reconcile (deploys)', 'no-op reconcile', 'no-op reconcile again']) {
    await run(name, 'b');
  }
}

/** 500 ConfigMaps: deploy, then no-op reconciles with and without drift detection. */
async function driftCases(b: Bench): Promise<void> {
  const files: Record<string, string> = {
    '.kluctl.yml': 'discriminator: bench-drift\ntargets:\n  - name: t\n',
    'deployment.yml': `deployments:\n${Array.from({ length: DRIFT_ITEMS }, (_, i) => `  - path: item${i}`).join('\n')}\n`,
  };
  for (let i = 0; i < DRIFT_OBJECTS; i++) {
    files[`item${i % DRIFT_ITEMS}/cm-${i}.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: bench\ndata:\n  i: "${i}"\n`;
  }
  const repo = await createRepo(b.git, 'bench-drift', files);
  // Validation reads the objects back; it is the same with and without drift detection, so off here.
  await applyKd(b.kc, 'd', { source: { git: { url: repo.url } }, target: 't', validate: false });
  const run = runner(b, 'state-drift');
  const n = `${DRIFT_OBJECTS} objects`;
  await run(`${n}: first reconcile (deploys, then drift detection)`, 'd');
  await run(`${n}: no-op reconcile with drift detection`, 'd');
  await run(`${n}: no-op reconcile with drift detection again`, 'd');
  await run(`${n}: no-op reconcile without drift detection`, 'd', { driftDetection: false });
  // A new state folder: the status says deployed, nothing is remembered, so every object is diffed.
  await runner(b, 'state-drift-fresh')(`${n}: no-op reconcile with drift detection, nothing remembered`, 'd');
}

async function applyKd(kc: string, name: string, spec: Record<string, unknown>): Promise<void> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace: 'bench' },
    spec: { interval: '5m', ...spec },
  };
  await kubectl(kc, ['apply', '-f', '-'], { input: JSON.stringify(kd) });
}

/** Reconciles with the state in `stateDir`, printing one JSON line per case. */
function runner(
  b: Bench,
  stateDir: string,
): (name: string, kd: string, extra?: Partial<ReconcileDeps>) => Promise<void> {
  const counts: Record<string, number> = {};
  const deps: ReconcileDeps = {
    kube: b.kube,
    store: countingStore(new FsStateStore(join(b.dir, stateDir)), counts),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir: b.dir,
    kustomizePath: toolPath('kustomize'),
    holder: 'bench',
    // Events are part of a reconcile (two POSTs); kept on, as a user would run it.
  };
  return async (name, kd, extra = {}) => {
    for (const k of Object.keys(counts)) delete counts[k];
    const api0 = { ...b.kube.stats.byVerb };
    const total0 = b.kube.stats.total;
    const t0 = performance.now();
    const out = await reconcileDeployment({ ...deps, ...extra }, { namespace: 'bench', name: kd });
    const ms = since(t0);
    const apiByVerb = Object.fromEntries(
      Object.entries(b.kube.stats.byVerb)
        .map(([v, n]) => [v, n - (api0[v] ?? 0)])
        .filter(([, n]) => (n as number) > 0),
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'noop-reconcile', case: name, outcome: out.outcome, deployed: out.deployed, ms, apiCalls: b.kube.stats.total - total0, apiByVerb, stateCalls: { ...counts } })}\n`,
    );
  };
}
