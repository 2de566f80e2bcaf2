/**
 * Drift detection, events and metrics side by side with the real Kluctl v2.28.2 controller (`kluctl
 * controller run`) on the same test API server: the same project and spec in two namespaces, one
 * reconciled by Kluctl's controller and one by ours. After the deploy both report no drift; then the
 * same hand-made changes are made on both sides (an object changed, one deleted, an orphan added) and
 * both report the same drift. The events on the KluctlDeployments and the metrics (Kluctl's `/metrics`
 * against our registry) are compared by name, labels and values. Differences kept on purpose are
 * listed in docs/parity.md and asserted here.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { DriftDetectionResult, KluctlDeployment } from '../../lib/api/types.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { MetricsRegistry } from '../../lib/reconcile/metrics.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { freePort } from '../../devenv/processes.js';
import {
  createTestNamespace,
  eventually,
  installCrds,
  kubectlJson,
  kubectlTest,
  testEnv,
} from '../support/test-env.js';
import { configMap, deploymentYml, kluctlYml } from './controller-projects.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';
import { normalizeValue } from './status-compare.js';

const STEP_MS = 300_000;
const NAME = 'drift';
const PROJECT = {
  '.kluctl.yml': kluctlYml('parity-drift'),
  'deployment.yml': deploymentYml(['app']),
  'app/a.yaml': configMap('a'),
  'app/b.yaml': configMap('b'),
  'app/c.yaml': configMap('c'),
};

let server: GitServer;
let repo: TestRepo;
let http: HttpKubeClient;
const registry = new MetricsRegistry();
let deps: ReconcileDeps;
/** Namespace of the KluctlDeployment and of its objects, per side. */
const side = { kluctl: { ns: '', target: '' }, ours: { ns: '', target: '' } };
/** Kluctl's `/metrics` after its first reconcile. */
let kluctlMetrics = '';

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'parity-drift', PROJECT);
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  const workDir = await mkdtemp(join(testEnv().runDir, 'parity-drift-'));
  deps = {
    kube: http,
    store: new FsStateStore(join(workDir, 'state')),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir,
    kustomizePath: toolPath('kustomize'),
    holder: 'parity-drift',
    metrics: registry,
  };
  for (const which of ['kluctl', 'ours'] as const) {
    side[which].ns = await createTestNamespace(`pd-${which}`);
    side[which].target = await createTestNamespace(`pd-${which}-t`);
    await applyKluctlDeployment(side[which].ns, NAME, {
      interval: '10m',
      source: { git: { url: repo.url } },
      target: 'test',
      context: 'default',
      args: { namespace: side[which].target },
    });
  }
}, STEP_MS);

afterAll(async () => {
  for (const s of Object.values(side).filter((x) => x.ns)) {
    await kubectlTest([
      'patch',
      'kluctldeployment',
      NAME,
      '-n',
      s.ns,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
  }
  http?.close();
  await server?.stop();
  await repo?.cleanup();
});

/** One reconcile on each side; Kluctl's controller starts (reconciling at once), its events and metrics are read, it stops. */
async function reconcileBoth(opts: { metrics?: boolean } = {}): Promise<void> {
  const port = await freePort();
  const ctl = await startKluctlController(side.kluctl.ns, {
    dryRun: false,
    ...(opts.metrics ? { metricsBindAddress: `127.0.0.1:${port}` } : {}),
  });
  try {
    await waitReconciled(ctl, { namespace: side.kluctl.ns, name: NAME }, 1, STEP_MS);
    if (opts.metrics) kluctlMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // Events leave Kluctl's recorder asynchronously: wait for the end-of-reconcile one.
    await eventually(
      async () => expect((await events('kluctl')).some((e) => /Reconcil/.test(e.message))).toBe(true),
      {
        timeoutMs: 30_000,
      },
    );
  } finally {
    await ctl.stop();
  }
  await reconcileDeployment(deps, { namespace: side.ours.ns, name: NAME });
}

async function readKd(which: 'kluctl' | 'ours'): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', NAME, '-n', side[which].ns]);
}

/** The drift result with placeholders for what differs per side and run, objects in a fixed order. */
async function drift(which: 'kluctl' | 'ours'): Promise<unknown> {
  const status = (await readKd(which)).status;
  const dr = status?.lastDriftDetectionResult as DriftDetectionResult | undefined;
  const objects = [...(dr?.objects ?? [])]
    .map((o) => ({ ...o, lastResourceVersion: o.lastResourceVersion ? '<version>' : '' }))
    .sort((a, b) => a.ref.name.localeCompare(b.ref.name));
  return {
    message: status?.lastDriftDetectionResultMessage,
    result: normalizeValue(
      { ...dr, ...(objects.length ? { objects } : {}) },
      {
        [side[which].ns]: '<kd-namespace>',
        [side[which].target]: '<target-namespace>',
      },
    ),
  };
}

interface EventItem {
  metadata: { name: string; annotations?: Record<string, string>; creationTimestamp?: string };
  involvedObject: { name: string; kind: string; apiVersion: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  source?: { component?: string };
  reportingComponent?: string;
  firstTimestamp?: string;
}

async function events(which: 'kluctl' | 'ours'): Promise<EventItem[]> {
  const list = await kubectlJson<{ items: EventItem[] }>(['get', 'events', '-n', side[which].ns]);
  return list.items
    .filter((e) => e.involvedObject.name === NAME)
    .sort(
      (a, b) =>
        (a.firstTimestamp ?? '').localeCompare(b.firstTimestamp ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
}

/** Events as `type reason: message`, durations replaced, with their annotations and source. */
async function eventLines(which: 'kluctl' | 'ours'): Promise<unknown[]> {
  return (await events(which)).map((e) => ({
    line: `${e.type} ${e.reason}: ${e.message.replace(/\d+(\.\d+)?(ms|s)\b/g, '<d>').replace(/\d+m<d>/g, '<d>')}`,
    annotations: e.metadata.annotations ?? {},
    involved: `${e.involvedObject.apiVersion} ${e.involvedObject.kind}`,
    source: e.source?.component,
    reporting: e.reportingComponent,
    count: e.count,
  }));
}

test(
  'after the deploy: no drift on both sides, the same events',
  async () => {
    await reconcileBoth({ metrics: true });
    expect(await drift('ours')).toEqual(await drift('kluctl'));
    expect(((await drift('ours')) as { message: string }).message).toBe('no drift');
    expect(await eventLines('ours')).toEqual(await eventLines('kluctl'));
  },
  STEP_MS,
);

test(
  'the same changes by hand: the same drift on both sides',
  async () => {
    for (const s of Object.values(side)) {
      const t = s.target;
      expect(
        (
          await kubectlTest([
            'patch',
            'configmap',
            'a',
            '-n',
            t,
            '--type=merge',
            '-p',
            '{"data":{"name":"x","extra":"y"}}',
          ])
        ).code,
      ).toBe(0);
      expect((await kubectlTest(['delete', 'configmap', 'b', '-n', t])).code).toBe(0);
      const orphan = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'orphan',
          namespace: t,
          labels: { 'kluctl.io/discriminator': `parity-drift-${t}` },
        },
      };
      const r = await kubectlTest(['apply', '--server-side', '--field-manager=kluctl', '-f', '-'], {
        input: JSON.stringify(orphan),
      });
      expect(r.code).toBe(0);
    }
    await reconcileBoth();
    const kluctl = await drift('kluctl');
    expect(await drift('ours')).toEqual(kluctl);
    expect((kluctl as { message: string }).message).toBe('1 new/1 chg/1 orp');
    // kubectl's DRIFT column is the message on both sides.
    for (const s of Object.values(side)) {
      expect((await kubectlTest(['get', 'kluctldeployment', NAME, '-n', s.ns])).stdout).toMatch(
        /1 new\/1 chg\/1 orp/,
      );
    }
    expect(await eventLines('ours')).toEqual(await eventLines('kluctl'));
  },
  STEP_MS,
);

/** Samples of a `/metrics` text by family: `{labels with placeholders} value` lines of the families we compare. */
function metricLines(text: string, which: 'kluctl' | 'ours'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^((?:kluctldeployments|gotk)_[a-z_]+?)(?:_bucket|_sum|_count)?(\{.*\})? (.*)$/.exec(line);
    if (!m || !m[2]?.includes(`namespace="${side[which].ns}"`)) continue;
    const labels = m[2].replaceAll(side[which].ns, '<ns>');
    const list = out.get(m[1]!) ?? [];
    list.push(`${line.slice(0, line.indexOf('{'))}${labels} ${m[3]}`);
    out.set(m[1]!, list);
  }
  return out;
}

test('metrics: the families, labels and gauge values of Kluctl’s controller', () => {
  const kluctl = metricLines(kluctlMetrics, 'kluctl');
  const ours = metricLines(registry.render(), 'ours');
  // Ours has every family Kluctl exposes, and deployment_interval_seconds, which Kluctl leaves empty.
  expect([...ours.keys()].sort()).toEqual(
    [...kluctl.keys(), 'kluctldeployments_deployment_interval_seconds'].sort(),
  );
  const labelNames = (lines: string[]) =>
    [...new Set(lines.map((l) => [...l.matchAll(/([a-z_]+)="/g)].map((x) => x[1]).join(',')))].sort();
  for (const [family, lines] of kluctl)
    expect([family, labelNames(ours.get(family)!)]).toEqual([family, labelNames(lines)]);
  // Gauges with the same values (Kluctl's dry_run_enabled carries the interval: a Kluctl bug we do not copy).
  const sameValues = [
    'kluctldeployments_prune_enabled',
    'kluctldeployments_delete_enabled',
    'kluctldeployments_source_spec',
    'kluctldeployments_last_object_status',
    'kluctldeployments_number_of_changed_objects',
    'kluctldeployments_number_of_deleted_objects',
    'kluctldeployments_number_of_orphan_objects',
    'kluctldeployments_number_of_errors',
    'kluctldeployments_number_of_warnings',
    'gotk_reconcile_condition',
    'gotk_suspend_status',
  ];
  for (const f of sameValues) expect([f, ours.get(f)?.sort()]).toEqual([f, kluctl.get(f)?.sort()]);
  expect(kluctl.get('kluctldeployments_dry_run_enabled')).toEqual([
    'kluctldeployments_dry_run_enabled{name="drift",namespace="<ns>"} 600',
  ]);
  expect(ours.get('kluctldeployments_dry_run_enabled')).toEqual([
    'kluctldeployments_dry_run_enabled{name="drift",namespace="<ns>"} 0',
  ]);
});
