/**
 * `npm run demo`: the newcomer's first run. Starts a local control plane (etcd + kube-apiserver from
 * the development environment in devenv/), serves the example project from a local Git server,
 * applies the CRD and one KluctlDeployment per target, and runs the local runner until both are
 * Ready. Then it keeps reconciling until Ctrl-C, or exits with --once.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND } from '../lib/api/constants.js';
import type { KluctlDeployment } from '../lib/api/types.js';
import { errorMessage } from '../lib/errors.js';
import { systemClock } from '../lib/ports.js';
import type { KubeClient, Logger, StateStore } from '../lib/ports.js';
import { LocalRunner } from '../lib/runner/local-runner.js';
import { startRunnerHttp } from '../lib/runner/runner-http.js';
import { hashPassword } from '../lib/webui/users.js';
import { KubeWebuiCluster } from '../lib/webui/webui-cluster.js';
import { createWebui } from '../lib/webui/webui-http.js';
import { formatStatusTable } from '../lib/runner/status-table.js';
import { jsonLogger } from '../lib/logging/json-logger.js';
import { packageRoot } from '../lib/util/package-root.js';
import { kubectl, startControlPlane } from '../devenv/control-plane.js';
import { createRepo, readTree } from '../devenv/git-repo.js';
import { startGitServer } from '../devenv/git-server.js';
import { stopAll } from '../devenv/processes.js';
import { reconcileDeps } from './compose.js';
import { DEMO_TOOL_BUILDS } from './demo-tools.js';

// The package root, found the same way from the sources and from the bundle in dist/cli/.
const ROOT = packageRoot();
const once = process.argv.includes('--once');
const verbose = process.argv.includes('--verbose');

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`usage: npm run demo [-- --once] [-- --verbose]

Starts a throwaway control plane, a local Git server holding examples/demo, applies the
KluctlDeployment CRD and two KluctlDeployments (targets dev and prod), and reconciles them with the
local runner until both are Ready. Keeps running until Ctrl-C unless --once is given.
  --once      exit after both deployments are Ready (or failed)
  --verbose   print the runner's JSON logs
  --ui-listen host:port
              where the web UI listens while the demo keeps running (default 127.0.0.1:8080)
`);
  process.exit(0);
}

const step = (msg: string): void => void process.stdout.write(`==> ${msg}\n`);

async function main(): Promise<void> {
  const t0 = Date.now();
  ensureTools();
  const work = await mkdtemp(join(tmpdir(), 'ks-demo-'));
  const logsDir = join(work, 'logs');
  step('starting etcd and kube-apiserver');
  const cp = await startControlPlane({ workDir: join(work, 'cluster'), logsDir });
  step(`control plane ready at ${cp.server} (kubeconfig: ${cp.kubeconfigPath})`);
  const git = await startGitServer({ root: join(work, 'git') });
  let stopUi: (() => Promise<void>) | undefined;
  try {
    step('pushing examples/demo to a local Git server');
    const repo = await createRepo(git, 'demo', await readTree(join(ROOT, 'examples/demo')));
    await mustKubectl(cp.kubeconfigPath, ['apply', '--server-side', '-f', join(ROOT, 'crds')]);
    await mustKubectl(cp.kubeconfigPath, [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/kluctldeployments.gitops.kluctl.io',
    ]);
    await mustKubectl(cp.kubeconfigPath, ['create', 'namespace', 'kluctl-system']);
    for (const target of ['dev', 'prod']) {
      step(`kubectl apply KluctlDeployment demo-${target} (target ${target})`);
      await mustKubectl(cp.kubeconfigPath, ['apply', '-f', '-'], kdManifest(target, repo.url));
    }
    const logger = verbose ? jsonLogger((l) => process.stderr.write(`${l}\n`)) : jsonLogger(() => {});
    const { deps, kube } = await reconcileDeps({
      kubeconfig: cp.kubeconfigPath,
      stateDir: join(work, 'state'),
      logger,
    });
    const runner = new LocalRunner(deps, {
      tickMs: 2000,
      onReconciled: (key, o) => step(`reconciled ${key}: ${o.outcome}: ${o.message}`),
    });
    step('running the local runner');
    runner.start();
    const info = (await kube.resolve(`${GITOPS_GROUP}/${GITOPS_VERSION}`, KD_KIND))!;
    const list = async (): Promise<KluctlDeployment[]> =>
      (await kube.list(info, { namespace: 'kluctl-system' })) as KluctlDeployment[];
    const deadline = Date.now() + 180_000;
    let kds = await list();
    while (!kds.every(settled) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      kds = await list();
    }
    step(`both deployments settled ${((Date.now() - t0) / 1000).toFixed(1)}s after start`);
    process.stdout.write(`\n${formatStatusTable(kds, new Date())}\n\n`);
    const ok = kds.every((k) => readyStatus(k) === 'True');
    if (!ok) process.exitCode = 1;
    if (!once) {
      const ui = await startDemoWebui(kube, deps.store, runner, logger);
      stopUi = ui.close;
      step(`web UI: ${ui.url} (user admin, password ${ui.password})`);
      step(
        'still reconciling (every 1m, or on change); try: kubectl --kubeconfig ' +
          cp.kubeconfigPath +
          ' get kluctldeployments -A',
      );
      step('press Ctrl-C to stop');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    await stopUi?.();
    await runner.stop();
    kube.close();
  } finally {
    step('stopping the control plane');
    await git.stop();
    await cp.stop();
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The web UI on `--ui-listen` (default 127.0.0.1:8080) with one admin user whose password is made up
 * now and printed, so the demo needs no configuration.
 */
async function startDemoWebui(
  kube: KubeClient,
  store: StateStore,
  runner: LocalRunner,
  logger: Logger,
): Promise<{ url: string; password: string; close: () => Promise<void> }> {
  const i = process.argv.indexOf('--ui-listen');
  const listen = i > 0 ? (process.argv[i + 1] ?? '') : '127.0.0.1:8080';
  const password = randomBytes(9).toString('base64url');
  const webui = await createWebui({
    clusters: [new KubeWebuiCluster(kube, { store })],
    users: [{ name: 'admin', role: 'admin', passwordHash: await hashPassword(password) }],
    clock: systemClock,
    logger,
  });
  const http = await startRunnerHttp({
    listen,
    webui,
    health: () => runner.health(),
    metrics: () => '',
    logger,
  });
  return {
    url: `http://${http.address}/ui/`,
    password,
    close: async () => {
      webui.close();
      await http.close();
    },
  };
}

function settled(kd: KluctlDeployment): boolean {
  const s = readyStatus(kd);
  return (
    s === 'True' || (s === 'False' && kd.status?.conditions?.every((c) => c.type !== 'Reconciling') === true)
  );
}

function readyStatus(kd: KluctlDeployment): string | undefined {
  return kd.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function kdManifest(target: string, url: string): string {
  return JSON.stringify({
    apiVersion: `${GITOPS_GROUP}/${GITOPS_VERSION}`,
    kind: KD_KIND,
    metadata: { name: `demo-${target}`, namespace: 'kluctl-system' },
    spec: {
      interval: '1m',
      timeout: '2m',
      source: { git: { url, ref: { branch: 'main' } } },
      target,
      context: 'default',
      prune: true,
    },
  });
}

async function mustKubectl(kubeconfig: string, args: string[], input?: string): Promise<void> {
  const r = await kubectl(kubeconfig, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

/** Builds the pinned binaries on first use (minutes on a fresh machine; cached afterwards). */
function ensureTools(): void {
  step('checking pinned tools (first run on a machine builds them; this takes a few minutes)');
  execFileSync(join(ROOT, 'scripts/ensure-tools.sh'), DEMO_TOOL_BUILDS, { stdio: 'inherit' });
}

main().catch(async (err: unknown) => {
  process.stderr.write(`demo failed: ${errorMessage(err)}\n`);
  await stopAll();
  process.exit(1);
});
