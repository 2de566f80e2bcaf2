/**
 * Scheduling parity: when the next reconcile comes, after the first reconcile of KluctlDeployments
 * that succeed, fail to prepare, fail to deploy, are suspended, and have `deployInterval` or
 * `validateInterval` set. Kluctl's controller says it in its log ("next run in" / "next try in");
 * ours returns it from the reconcile. `retryInterval` applies only to failures before the plan
 * (prepare), every other outcome requeues at the earliest of interval, deployInterval and
 * validateInterval, and a suspended deployment only at its interval.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { parseDuration } from '../../lib/api/durations.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlTest, testEnv } from '../support/test-env.js';
import { deployErrorsProject, pruneProject } from './controller-projects.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';

const TIMEOUT = 600_000;

/** [name, repo, spec], every case with interval 10m and retryInterval 1m unless it says otherwise. */
const CASES: readonly [string, 'good' | 'errors', Record<string, unknown>][] = [
  ['ok', 'good', {}],
  ['ok-deploy-interval', 'good', { deployInterval: '3m' }],
  ['ok-validate-interval', 'good', { validateInterval: '2m' }],
  ['ok-novalidate-validate-interval', 'good', { validate: false, validateInterval: '2m' }],
  ['prepare-failed', 'good', { target: 'missing' }],
  ['deploy-failed', 'errors', {}],
  ['deploy-failed-deploy-interval', 'errors', { deployInterval: '4m' }],
  ['suspended', 'good', { suspend: true, deployInterval: '3m' }],
];

let server: GitServer;
const repos = new Map<string, TestRepo>();

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repos.set('good', await createRepo(server, 'schedule-good', pruneProject('parity-schedule')));
  repos.set('errors', await createRepo(server, 'schedule-errors', deployErrorsProject('parity-schedule-e')));
}, TIMEOUT);
afterAll(async () => {
  await server?.stop();
  for (const r of repos.values()) await r.cleanup();
});

async function applyKds(namespace: string, side: string): Promise<void> {
  for (const [name, repo, spec] of CASES) {
    const target = await createTestNamespace(`s${side}-${name}`.slice(0, 40));
    const kd = {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name, namespace },
      spec: {
        interval: '10m',
        retryInterval: '1m',
        timeout: '2m',
        source: { git: { url: repos.get(repo)!.url } },
        target: 'test',
        context: 'default',
        args: { namespace: target },
        ...spec,
      },
    };
    const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
    if (r.code !== 0) throw new Error(`applying ${name} failed: ${r.stderr}`);
  }
}

/** Minutes, rounded, of a Go duration (`9m59.99s`) or of milliseconds. */
const minutes = (ms: number): number => Math.round(ms / 60_000);

test(
  'the next reconcile is due at the same time after success, failures, suspension and intervals',
  async () => {
    const nsKluctl = await createTestNamespace('sched-kluctl');
    const nsOurs = await createTestNamespace('sched-ours');
    await applyKds(nsKluctl, 'k');
    await applyKds(nsOurs, 'o');

    const ctl = await startKluctlController(nsKluctl, { dryRun: false });
    try {
      // Kluctl's first pass only adds the finalizer and logs no finish line; the first one counted is the reconcile.
      for (const [name] of CASES) await waitReconciled(ctl, { namespace: nsKluctl, name }, 1, 300_000);
    } finally {
      await ctl.stop();
    }
    const kluctl: Record<string, number> = {};
    for (const line of (await readFile(ctl.logFile, 'utf8')).split('\n')) {
      const m =
        /Reconciliation (?:finished in \S+, next run in|failed after \S+, next try in) (\S+?)(?::|$)/.exec(
          parseMsg(line)?.msg ?? '',
        );
      const name = parseMsg(line)?.name;
      if (m && name && kluctl[name] === undefined) kluctl[name] = minutes(goDurationMs(m[1]!));
    }

    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
    const work = await mkdtemp(join(testEnv().runDir, 'schedule-parity-'));
    const ours: Record<string, number> = {};
    try {
      const deps = {
        kube,
        store: new FsStateStore(join(work, 'state')),
        git: new IsomorphicGitSource(),
        clock: systemClock,
        logger: silentLogger,
        workDir: work,
        kustomizePath: toolPath('kustomize'),
        holder: 'schedule-parity',
      };
      for (const [name] of CASES) {
        const outcome = await reconcileDeployment(deps, { namespace: nsOurs, name });
        ours[name] = minutes(outcome.nextRunAt!.getTime() - Date.now());
      }
    } finally {
      kube.close();
    }
    expect(ours).toEqual(kluctl);
    expect(kluctl).toEqual({
      ok: 10,
      'ok-deploy-interval': 3,
      'ok-validate-interval': 2,
      'ok-novalidate-validate-interval': 10,
      'prepare-failed': 1,
      'deploy-failed': 10,
      'deploy-failed-deploy-interval': 4,
      suspended: 10,
    });
  },
  TIMEOUT,
);

function parseMsg(line: string): { msg?: string; name?: string } | undefined {
  try {
    return JSON.parse(line) as { msg?: string; name?: string };
  } catch {
    return undefined;
  }
}

/** A Go duration string (`1h2m3.5s`, `59.9s`, `250ms`) in milliseconds. */
function goDurationMs(d: string): number {
  let ms = 0;
  for (const [, n, unit] of d.matchAll(/([\d.]+)(ms|µs|us|ns|h|m|s)/g)) {
    const f = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, us: 1e-3, ns: 1e-6 }[unit!]!;
    ms += Number(n) * f;
  }
  return ms || parseDuration(d);
}
