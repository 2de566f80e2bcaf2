/**
 * Webhook → objects applied: the local runner (watching, with its HTTP endpoint) and a small project
 * in the test Git server. Each push commits a new ConfigMap value, POSTs a signed GitHub push event and
 * times until the value is in the cluster; p50 and p95 over the pushes. The baseline is what Kluctl's
 * controller does with a push: nothing until the deployment's interval comes round, so a push waits
 * uniformly between 0 and the interval (p50 = interval/2, p95 = 0.95 × interval) plus the reconcile.
 * That model is checked in the same run by pushes without webhooks at a short interval.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../lib/adapters/http-kube-client.js';
import { HttpKubeWatcher } from '../lib/adapters/http-kube-watcher.js';
import { IsomorphicGitSource } from '../lib/adapters/isomorphic-git-source.js';
import { parseDuration } from '../lib/api/durations.js';
import { silentLogger, systemClock } from '../lib/ports.js';
import type { Logger } from '../lib/ports.js';
import { LocalRunner } from '../lib/runner/local-runner.js';
import { startRunnerHttp } from '../lib/runner/runner-http.js';
import { staticWebhookSecrets } from '../lib/serverless/webhook-secrets.js';
import { signWebhook } from '../lib/serverless/webhook-signature.js';
import { DeploymentInformer } from '../lib/shim/deployment-informer.js';
import { toolPath } from '../devenv/tools.js';
import { kubectl } from '../devenv/control-plane.js';
import { fixtureFiles } from '../test/support/fixtures.js';
import { createRepo } from '../devenv/git-repo.js';
import type { TestRepo } from '../devenv/git-repo.js';
import { startGitServer } from '../devenv/git-server.js';
import { since, withCluster } from './cluster.js';

const PUSHES = Number(process.env.KS_BENCH_WEBHOOK_PUSHES ?? 10);
/** The interval of the deployment: Kluctl's examples use 5m. */
const INTERVAL = '5m';
/** A short interval for the measured check of the baseline model, and its pushes. */
const CHECK_INTERVAL = '15s';
const CHECK_PUSHES = Number(process.env.KS_BENCH_WEBHOOK_CHECK_PUSHES ?? 6);

/** Runs the benchmark. */
export async function main(): Promise<void> {
  await withCluster(async (kc) => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-bench-webhook-'));
    const git = await startGitServer();
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: kc });
    const secret = randomBytes(16);
    const store = new FsStateStore(join(dir, 'state'));
    // When the runner decided a reconcile was due: the watch's share of "apply → applied".
    let dueAt: number | undefined;
    const dueLogger: Logger = {
      ...silentLogger,
      info: (msg) => void (msg === 'reconcile due' && (dueAt ??= performance.now())),
      child: () => dueLogger,
    };
    const runner = new LocalRunner(
      {
        kube,
        store,
        git: new IsomorphicGitSource(),
        clock: systemClock,
        logger: dueLogger,
        workDir: dir,
        kustomizePath: toolPath('kustomize'),
        holder: 'bench',
      },
      {
        namespace: 'bench-webhook',
        tickMs: 1000,
        watch: (onChange) =>
          new DeploymentInformer({
            watcher: new HttpKubeWatcher(kube),
            namespace: 'bench-webhook',
            onChange,
          }),
      },
    );
    const http = await startRunnerHttp({
      listen: '127.0.0.1:0',
      webhook: {
        secrets: staticWebhookSecrets({ default: secret }),
        store,
        queue: runner.queue,
        logger: silentLogger,
      },
      health: () => runner.health(),
      metrics: () => '',
      logger: silentLogger,
    });
    try {
      const repo = await createRepo(git, 'bench-webhook', await fixtureFiles('skeleton'));
      await kubectl(kc, ['apply', '--server-side', '-f', 'crds/gitops.kluctl.io_kluctldeployments.yaml']);
      await kubectl(kc, ['wait', '--for=condition=Established', 'crd/kluctldeployments.gitops.kluctl.io']);
      await kubectl(kc, ['create', 'namespace', 'bench-webhook']);
      runner.start();
      const apply = (name: string, interval: string) =>
        kubectl(kc, ['apply', '-f', '-'], {
          input: JSON.stringify({
            apiVersion: 'gitops.kluctl.io/v1beta1',
            kind: 'KluctlDeployment',
            metadata: { name, namespace: 'bench-webhook' },
            spec: {
              interval,
              source: { git: { url: repo.url } },
              target: 'dev',
              args: { namespace: 'bench-webhook' },
            },
          }),
        });
      // kubectl apply → objects applied: the watch sees the new object (the tick never lists while it is up).
      const tApply = performance.now();
      await apply('hooked', INTERVAL);
      const kubectlMs = since(tApply);
      await waitForValue(kube, 'app-config', 'env', 'dev', 60_000);
      out({
        case: 'kubectl apply → objects applied (watch)',
        ms: since(tApply),
        kubectlApplyMs: kubectlMs,
        reconcileDueAfterMs: Math.round((dueAt ?? NaN) - tApply),
      });

      // Webhook: push, POST, wait for the value.
      const webhookMs: number[] = [];
      const answerMs: number[] = [];
      for (let i = 1; i <= PUSHES; i++) {
        await pushValue(repo, `w${i}`);
        const t0 = performance.now();
        const body = Buffer.from(
          JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: repo.url } }),
        );
        const res = await fetch(`http://${http.address}/webhook/github`, {
          method: 'POST',
          body,
          headers: { 'x-github-event': 'push', 'x-hub-signature-256': signWebhook('github', secret, body) },
        });
        answerMs.push(since(t0));
        if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
        await waitForValue(kube, 'rev', 'rev', `w${i}`, 60_000);
        webhookMs.push(since(t0));
      }
      const reconcileP50 = percentile(webhookMs, 50);
      const intervalMs = parseDuration(INTERVAL);
      out({
        case: 'webhook → objects applied',
        pushes: PUSHES,
        ...stats(webhookMs),
        answer: stats(answerMs),
      });
      out({
        case: `baseline: Kluctl's controller waits for the interval (${INTERVAL})`,
        model: 'wait uniform in [0, interval] + reconcile p50',
        p50Ms: Math.round(intervalMs * 0.5 + reconcileP50),
        p95Ms: Math.round(intervalMs * 0.95 + reconcileP50),
        speedupP50: Math.round((intervalMs * 0.5 + reconcileP50) / reconcileP50),
      });

      // The model, measured: the same pushes without webhooks at a short interval.
      await kubectl(kc, ['delete', 'kluctldeployment', 'hooked', '-n', 'bench-webhook']);
      await apply('polled', CHECK_INTERVAL);
      await waitForValue(kube, 'rev', 'rev', `w${PUSHES}`, 60_000);
      const polledMs: number[] = [];
      const checkMs = parseDuration(CHECK_INTERVAL);
      for (let i = 1; i <= CHECK_PUSHES; i++) {
        // Push at a random point of the interval, as users do.
        await sleep(Math.random() * checkMs);
        await pushValue(repo, `p${i}`);
        const t0 = performance.now();
        await waitForValue(kube, 'rev', 'rev', `p${i}`, checkMs * 3);
        polledMs.push(since(t0));
      }
      out({
        case: `measured: no webhook, interval ${CHECK_INTERVAL}`,
        pushes: CHECK_PUSHES,
        ...stats(polledMs),
        modelP50Ms: Math.round(checkMs * 0.5 + reconcileP50),
      });
    } finally {
      await http.close();
      await runner.stop();
      kube.close();
      await git.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Commits a ConfigMap `rev` with data.rev = value. */
async function pushValue(repo: TestRepo, value: string): Promise<void> {
  await repo.commit(
    {
      'config/rev.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rev\n  namespace: "{{ args.namespace }}"\ndata:\n  rev: "${value}"\n`,
    },
    `rev ${value}`,
  );
}

/** Polls the ConfigMap every 20 ms until `data[key]` is `value`. */
async function waitForValue(
  kube: HttpKubeClient,
  name: string,
  key: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cm = (await kube.get({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      name,
      namespace: 'bench-webhook',
    })) as { data?: Record<string, string> } | undefined;
    if (cm?.data?.[key] === value) return;
    if (Date.now() > deadline) throw new Error(`ConfigMap ${name} never got ${key}=${value}`);
    await sleep(20);
  }
}

function stats(ms: readonly number[]) {
  return {
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
  };
}

/** Nearest-rank percentile. */
function percentile(ms: readonly number[], p: number): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function out(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ bench: 'webhook', ...fields })}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
