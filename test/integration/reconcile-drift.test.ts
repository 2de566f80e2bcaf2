/**
 * Drift detection, events, metrics and the readiness retry of a reconcile, against the real API
 * server: what the reconciler reports is read back from the cluster.
 * Kluctl's own behaviour for the same steps is compared in test/parity/controller-drift.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeClient, KubeObject } from '../../lib/ports.js';
import { silentLogger, systemClock } from '../../lib/ports.js';
import { emfLines } from '../../lib/reconcile/emf.js';
import { MetricsRegistry } from '../../lib/reconcile/metrics.js';
import type { MetricSample } from '../../lib/reconcile/metrics.js';
import { reconcileDeployment } from '../../lib/reconcile/reconcile.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';
import { toolPath } from '../../devenv/tools.js';
import { DelegatingKube } from '../support/delegating-kube.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { configMap, deploymentYml, kluctlYml } from '../parity/controller-projects.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import {
  createTestNamespace,
  eventually,
  installCrds,
  kubectlJson,
  kubectlTest,
  testEnv,
} from '../support/test-env.js';

/** Records the names of dry-run applied objects (the diff's; a conflict makes two of one object). */
class CountingKube extends DelegatingKube {
  dryRun: string[] = [];
  override apply(...a: Parameters<KubeClient['apply']>) {
    if (a[1].dryRun) this.dryRun.push(a[0].metadata.name);
    return this.inner.apply(...a);
  }
  /** The distinct names dry-run applied since `from` entries. */
  since(from: number): string[] {
    return [...new Set(this.dryRun.slice(from))].sort();
  }
}

/** A ConfigMap that is not ready while its `kluctl.io/is-ready` annotation says false. */
const gate = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: "{{ args.namespace }}"\n  annotations:\n    kluctl.io/is-ready: "false"\n`;

const PROJECT = {
  'cms/.kluctl.yml': kluctlYml('drift'),
  'cms/deployment.yml': deploymentYml(['app']),
  'cms/app/a.yaml': configMap('a'),
  'cms/app/b.yaml': configMap('b'),
  'cms/app/secret.yaml':
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: "{{ args.namespace }}"\nstringData:\n  password: hunter2\n',
  'web/.kluctl.yml': kluctlYml('drift'),
  'web/deployment.yml': deploymentYml(['app']),
  'web/app/gate.yaml': gate('gate'),
  'stuck/.kluctl.yml': kluctlYml('drift'),
  'stuck/deployment.yml': deploymentYml(['app']),
  'stuck/app/gate.yaml': gate('gate'),
};

let server: GitServer;
let repo: TestRepo;
let http: HttpKubeClient;
let kube: CountingKube;
let workDir: string;
let ns: string;
let samples: MetricSample[];
const registry = new MetricsRegistry();
let deps: ReconcileDeps;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repo = await createRepo(server, 'drift', PROJECT);
  http = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  kube = new CountingKube(http);
  workDir = await mkdtemp(join(tmpdir(), 'ks-drift-'));
  samples = [];
  deps = {
    kube,
    store: new FsStateStore(join(workDir, 'state')),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: silentLogger,
    workDir,
    kustomizePath: toolPath('kustomize'),
    holder: 'drift-test',
    metrics: {
      record: (s) => {
        samples.push(...s);
        registry.record(s);
      },
    },
  };
  ns = await createTestNamespace('drift');
});

afterAll(async () => {
  http?.close();
  await server?.stop();
  await repo?.cleanup();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function applyKd(name: string, path: string, spec: Record<string, unknown> = {}): Promise<string> {
  const target = await createTestNamespace(`drift-${name}`);
  await applyKluctlDeployment(ns, name, {
    interval: '5m',
    source: { git: { url: repo.url, path } },
    target: 'test',
    args: { namespace: target },
    ...spec,
  });
  return target;
}

async function readKd(name: string): Promise<KluctlDeployment> {
  return (await http.get({
    group: 'gitops.kluctl.io',
    version: 'v1beta1',
    kind: 'KluctlDeployment',
    name,
    namespace: ns,
  })) as KluctlDeployment;
}

async function reconcile(name: string): Promise<KluctlDeployment> {
  await reconcileDeployment(deps, { namespace: ns, name });
  return readKd(name);
}

interface EventItem extends KubeObject {
  involvedObject: { name: string; uid?: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  source?: { component?: string };
}

async function eventsOf(name: string): Promise<EventItem[]> {
  const list = await kubectlJson<{ items: EventItem[] }>(['get', 'events', '-n', ns]);
  return list.items
    .filter((e) => e.involvedObject.name === name)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

describe('drift detection', () => {
  let target: string;
  beforeAll(async () => {
    target = await applyKd('cms', 'cms');
  });

  test('a deploy leaves no drift, and an unchanged deployment is diffed without dry-run applies', async () => {
    const first = await reconcile('cms');
    expect(first.status?.lastDriftDetectionResultMessage).toBe('no drift');
    expect(first.status?.lastDriftDetectionResult).toMatchObject({
      reconcileId: first.status?.lastDeployResult?.reconcileId,
      targetKey: { targetName: 'test', discriminator: `drift-${target}` },
      kluctlDeployment: { name: 'cms', namespace: ns },
      renderedObjectsHash: first.status?.lastObjectsHash,
    });
    expect(first.status?.lastDriftDetectionResult?.objects).toBeUndefined();
    // kubectl's DRIFT column (crds/) shows the message.
    const table = await kubectlTest(['get', 'kluctldeployment', 'cms', '-n', ns]);
    expect(table.stdout).toMatch(/DRIFT/);
    expect(table.stdout).toMatch(/no drift/);

    // The deploy's resourceVersions were remembered: its own diff and the next one send nothing.
    const before = kube.dryRun.length;
    const second = await reconcile('cms');
    expect(kube.since(before)).toEqual([]);
    expect(second.status?.lastDriftDetectionResultMessage).toBe('no drift');
    expect(second.status?.lastDriftDetectionResult?.id).not.toBe(first.status?.lastDriftDetectionResult?.id);
  });

  test('a changed, a deleted and an orphan object are drift; drifted objects are diffed again', async () => {
    await kubectlTest([
      'patch',
      'configmap',
      'a',
      '-n',
      target,
      '--type=merge',
      '-p',
      '{"data":{"name":"x"}}',
    ]);
    await kubectlTest([
      'patch',
      'secret',
      's',
      '-n',
      target,
      '--type=merge',
      '-p',
      '{"stringData":{"password":"y"}}',
    ]);
    await kubectlTest(['delete', 'configmap', 'b', '-n', target]);
    const orphan = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'orphan',
        namespace: target,
        labels: { 'kluctl.io/discriminator': `drift-${target}` },
      },
    };
    // An orphan: deployed by Kluctl (its field manager), no longer rendered.
    const r = await kubectlTest(['apply', '--server-side', '--field-manager=kluctl', '-f', '-'], {
      input: JSON.stringify(orphan),
    });
    expect(r.code).toBe(0);

    const before = kube.dryRun.length;
    const kd = await reconcile('cms');
    // Only the changed objects were sent: a and s (new versions), b (gone, so never skipped).
    expect(kube.since(before)).toEqual(['a', 'b', 's']);
    expect(kd.status?.lastDriftDetectionResultMessage).toBe('1 new/2 chg/1 orp');
    const objects = kd.status?.lastDriftDetectionResult?.objects ?? [];
    const byName = Object.fromEntries(objects.map((o) => [o.ref.name, o]));
    expect(byName.b).toEqual({
      ref: { version: 'v1', kind: 'ConfigMap', name: 'b', namespace: target },
      new: true,
      lastResourceVersion: '',
    });
    expect(byName.orphan).toMatchObject({
      orphan: true,
      lastResourceVersion: expect.stringMatching(/^\d+$/),
    });
    expect(byName.a?.changes).toEqual([
      { type: 'update', jsonPath: 'data.name', oldValue: 'x', newValue: 'a', unifiedDiff: '-x\n+a' },
    ]);
    // A Secret's values never reach the status.
    expect(JSON.stringify(byName.s)).not.toMatch(/hunter2|eQ==|"y"/);
    expect(byName.s?.changes?.[0]?.unifiedDiff).toMatch(/obfuscated/);

    // Nothing changed since, but drifted objects were left out of the remembered versions.
    const again = kube.dryRun.length;
    const next = await reconcile('cms');
    expect(kube.since(again)).toEqual(['a', 'b', 's']);
    expect(next.status?.lastDriftDetectionResultMessage).toBe('1 new/2 chg/1 orp');
  });
});

describe('events and metrics', () => {
  test('a deploy and a reconcile are recorded as Kluctl records them', async () => {
    await applyKd('ev', 'cms');
    const kd = await reconcile('ev');
    const events = await eventsOf('ev');
    expect(events.map((e) => [e.type, e.reason, e.message.replace(/[\d.]+(ms|s)\b/g, '<d>')])).toEqual([
      ['Normal', 'info', 'full-deploy succeeded. 3 new objects.'],
      [
        'Warning',
        'ReconciliationSucceeded',
        expect.stringMatching(/^Reconciliation finished in <d>, next run in (\dm)?<d>$/),
      ],
    ]);
    expect(events[1]!.metadata.annotations).toEqual({ 'gitops.kluctl.io/commit_status': 'update' });
    expect(events[0]).toMatchObject({
      involvedObject: {
        apiVersion: 'gitops.kluctl.io/v1beta1',
        kind: 'KluctlDeployment',
        namespace: ns,
        uid: kd.metadata.uid,
      },
      source: { component: 'kluctl-controller' },
      reportingComponent: 'kluctl-controller',
      count: 1,
    });
    expect(events[0]!.metadata.name).toMatch(/^ev\.[0-9a-f]+$/);

    const text = registry.render();
    const l = `name="ev",namespace="${ns}"`;
    expect(text).toContain(`kluctldeployments_last_object_status{${l}} 1\n`);
    expect(text).toContain(`kluctldeployments_number_of_errors{action="deploy",${l}} 0\n`);
    expect(text).toContain(
      `kluctldeployments_deployment_duration_seconds_count{mode="full-deploy",${l}} 1\n`,
    );
    expect(text).toContain(
      `gotk_reconcile_condition{kind="KluctlDeployment",${l},status="True",type="Ready"} 1\n`,
    );
    const start = Math.floor(Date.parse(kd.status!.lastDeployResult!.commandInfo.startTime) / 1000);
    expect(text).toMatch(
      new RegExp(
        `kluctldeployments_last_deploy_start_timestamp_seconds\\{${l}\\} ${String(start)[0]}\\.\\d+e\\+09\\n`,
      ),
    );
    // The same figures as EMF lines.
    const emf = emfLines(
      samples.filter((s) => s.labels.name === 'ev'),
      new Date(),
    ).map((x) => JSON.parse(x) as Record<string, unknown>);
    expect(emf.find((d) => 'kluctldeployments_last_object_status' in d)).toMatchObject({
      namespace: ns,
      name: 'ev',
      kluctldeployments_last_object_status: 1,
    });
  });

  test('a failed prepare is a warning with the error, repeated ones are counted', async () => {
    await applyKd('broken', 'does-not-exist');
    await reconcile('broken');
    const kd = await reconcile('broken');
    const events = await eventsOf('broken');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'PrepareFailed',
      message: kd.status?.lastPrepareError,
      count: 2,
    });
    expect(registry.render()).toContain(
      `kluctldeployments_last_object_status{name="broken",namespace="${ns}"} 0\n`,
    );
  });
});

describe('ready soon after a deploy', () => {
  test('a validate failing only on readiness is repeated until the objects are ready', async () => {
    const target = await applyKd('web', 'web');
    const running = reconcile('web');
    // The wait shows in the Ready message; then the object becomes ready.
    await eventually(
      async () => {
        const ready = (await readKd('web')).status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready).toMatchObject({ status: 'Unknown', reason: 'Progressing' });
        expect(ready?.message).toMatch(
          /^Reconciliation in progress: 1 object not ready yet, validating again in \d+s \(attempt \d+\)$/,
        );
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    const r = await kubectlTest([
      'annotate',
      '--overwrite',
      'configmap',
      'gate',
      '-n',
      target,
      'kluctl.io/is-ready=true',
    ]);
    expect(r.code).toBe(0);
    const kd = await running;
    expect(kd.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      message: 'deploy succeeded. 1 new objects. validate succeeded.',
    });
    expect(kd.status?.lastValidateResult?.errors).toBeUndefined();
  });

  test('retries end at retryInterval', async () => {
    await applyKd('stuck', 'stuck', { retryInterval: '5s', validateInterval: '1s' });
    const t0 = Date.now();
    const kd = await reconcile('stuck');
    const ms = Date.now() - t0;
    expect(kd.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ValidateFailed',
      message: 'deploy succeeded. 1 new objects. validate failed with 1 errors.',
    });
    // Attempts after 0, 1 and 3 s; the next (after 4 s more) would start beyond 5 s.
    expect(ms).toBeGreaterThan(3000);
    expect(ms).toBeLessThan(20_000);
  });

  test('a periodic validate without a deploy is not repeated', async () => {
    const before = (await readKd('stuck')).status?.lastValidateResult?.id;
    await new Promise((r) => setTimeout(r, 1000)); // validateInterval is 1s
    const t0 = Date.now();
    const kd = await reconcile('stuck');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(kd.status?.lastDeployResult?.id).toBeDefined();
    expect(kd.status?.lastValidateResult?.id).not.toBe(before);
    expect(kd.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('ValidateFailed');
  });
});
