/**
 * The shim against the real API server, with the identity of its manifests (a token of the
 * ServiceAccount bound to deploy/shim's ClusterRole), pushing to a real HTTP ingest server that checks
 * every signature with verifyPush: what is pushed and how fast, what is not, outages of ingest and of
 * the API connection, and what that identity may not do.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { FetchIngestEndpoint } from '../../lib/adapters/fetch-ingest-endpoint.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { KubeApiError } from '../../lib/errors.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import type { KubeObject, ObjectRef } from '../../lib/ports.js';
import { KLUCTL_DEPLOYMENTS } from '../../lib/shim/deployment-informer.js';
import { Shim, type ShimOptions } from '../../lib/shim/shim.js';
import {
  apiServerAddress,
  clusterFacts,
  installShimIdentity,
  mirrorFacts,
  shimKubeconfig,
  TcpProxy,
  TestIngestServer,
} from '../support/shim-harness.js';
import { SHIM_MANIFESTS_DIR } from '../support/shim-manifests.js';
import { CLI_BIN } from '../support/cli.js';
import { freePort } from '../../devenv/processes.js';
import { createTestNamespace, eventually, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

const KEY = Buffer.from(randomBytes(32).toString('hex'));
const SPEC = { interval: '5m', target: 'prod', source: { git: { url: 'https://example.com/repo.git' } } };

let shimKube: HttpKubeClient;
let admin: HttpKubeClient;
let clusterId: string;
const logLines: string[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await installShimIdentity();
  shimKube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: await shimKubeconfig() });
  admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  clusterId = await admin.clusterId();
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => {
  shimKube?.close();
  admin?.close();
  // Nothing the shim logged may contain its key.
  expect(logLines.join('\n')).not.toContain(KEY.toString());
});

/** Starts an ingest server and a shim (as the manifests' ServiceAccount) pushing to it. */
async function startShim(
  opts: { kube?: HttpKubeClient; shim?: Partial<ShimOptions> } = {},
): Promise<{ ingest: TestIngestServer; shim: Shim }> {
  const ingest = new TestIngestServer(KEY);
  await ingest.up();
  const kube = opts.kube ?? shimKube;
  const shim = new Shim({
    watcher: new HttpKubeWatcher(kube),
    endpoint: new FetchIngestEndpoint(ingest.url, 2000),
    clusterId: await kube.clusterId(),
    key: KEY,
    resyncIntervalMs: 0,
    pushBackoff: { baseMs: 200, maxMs: 1000 },
    watchBackoff: { baseMs: 200, maxMs: 1000 },
    logger: jsonLogger((l) => logLines.push(l), 'debug'),
    ...opts.shim,
  });
  shim.start();
  cleanups.push(() => ingest.down());
  cleanups.push(() => shim.stop());
  return { ingest, shim };
}

async function kubectlOk(args: string[], input?: string): Promise<void> {
  const r = await kubectlTest(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
}

const kdRef = (ns: string, name: string): ObjectRef => ({
  group: 'gitops.kluctl.io',
  version: 'v1beta1',
  kind: 'KluctlDeployment',
  name,
  namespace: ns,
});

// Changes go through the API directly (as admin): the timings measured are then the API's and the
// shim's, not those of starting kubectl on a busy machine.
async function createKd(ns: string, name: string, metadata: Record<string, unknown> = {}): Promise<void> {
  await admin.apply(
    {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name, namespace: ns, ...metadata },
      spec: SPEC,
    },
    { fieldManager: 'kluctl-serverless-test' },
  );
}

async function patchKd(ns: string, name: string, patch: unknown, subresource?: 'status'): Promise<void> {
  await admin.mergePatch(kdRef(ns, name), patch, {
    fieldManager: 'kluctl-serverless-test',
    ...(subresource ? { subresource } : {}),
  });
}

const annotateKd = (ns: string, name: string, key: string, value: string): Promise<void> =>
  patchKd(ns, name, { metadata: { annotations: { [key]: value } } });

const deleteKd = (ns: string, name: string): Promise<void> => admin.delete(kdRef(ns, name));

/** Waits until the ingest mirror of `ns` matches the cluster (generation, annotations, deletion). */
async function mirrorConverges(ingest: TestIngestServer, ns: string, timeoutMs = 20_000): Promise<void> {
  const want = await clusterFacts(ns);
  await eventually(async () => expect(mirrorFacts(ingest, ns)).toEqual(want), { timeoutMs, intervalMs: 50 });
}

test('a created KluctlDeployment is pushed within 2 s, signed, with the kube-system UID as cluster id', async () => {
  const { ingest } = await startShim();
  const ns = await createTestNamespace('shim-create');
  await eventually(async () => expect(ingest.received.some((r) => r.push.kind === 'resync')).toBe(true));
  const t0 = Date.now();
  await createKd(ns, 'app');
  const t1 = Date.now();
  const push = await eventually(
    async () => {
      const p = ingest.pushesFor(ns)[0];
      expect(p).toBeDefined();
      return p!;
    },
    { intervalMs: 10 },
  );
  const latencyMs = push.at - t0;
  process.stderr.write(
    `shim: create request → push received ${latencyMs} ms (API answered after ${t1 - t0} ms)\n`,
  );
  expect(latencyMs).toBeLessThan(2000);
  expect(push.push).toMatchObject({ clusterId, kind: 'upsert' });
  expect(push.push.objects[0]).toMatchObject({
    metadata: { name: 'app', namespace: ns, generation: 1 },
    spec: SPEC,
  });
  expect(ingest.refused).toEqual([]);
});

test('a status-only write is not pushed; an annotation change is, within 2 s', async () => {
  const { ingest } = await startShim();
  const ns = await createTestNamespace('shim-status');
  await createKd(ns, 'app');
  await eventually(async () => expect(ingest.pushesFor(ns)).toHaveLength(1));
  await patchKd(ns, 'app', { status: { observedGeneration: 1, lastHandledReconcileAt: 'x' } }, 'status');
  const statusRv = (await kubectlJson<KubeObject>(['get', 'kluctldeployment', 'app', '-n', ns])).metadata
    .resourceVersion;
  // The watch delivers the status write within milliseconds; give it a full second to (not) push.
  await new Promise((r) => setTimeout(r, 1000));
  expect(ingest.pushesFor(ns)).toHaveLength(1);

  const t0 = Date.now();
  await annotateKd(ns, 'app', 'kluctl.io/request-reconcile', 'r1');
  const second = await eventually(
    async () => {
      expect(ingest.pushesFor(ns)).toHaveLength(2);
      return ingest.pushesFor(ns)[1]!;
    },
    { intervalMs: 10 },
  );
  expect(second.at - t0).toBeLessThan(2000);
  const m = second.push.objects[0]!.metadata;
  expect(m.annotations).toEqual({ 'kluctl.io/request-reconcile': 'r1' });
  expect(Number(m.resourceVersion)).toBeGreaterThan(Number(statusRv));
});

test('deletion with a finalizer pushes the deletionTimestamp; removing the finalizer pushes a delete', async () => {
  const { ingest } = await startShim();
  const ns = await createTestNamespace('shim-delete');
  await createKd(ns, 'app', { finalizers: ['test.kluctl-serverless.io/hold'] });
  await eventually(async () => expect(ingest.pushesFor(ns)).toHaveLength(1));
  const t0 = Date.now();
  await deleteKd(ns, 'app');
  const deleting = await eventually(
    async () => {
      expect(ingest.pushesFor(ns)).toHaveLength(2);
      return ingest.pushesFor(ns)[1]!;
    },
    { intervalMs: 10 },
  );
  expect(deleting.at - t0).toBeLessThan(2000);
  expect(deleting.push.kind).toBe('upsert');
  expect(deleting.push.objects[0]!.metadata.deletionTimestamp).toEqual(expect.any(String));
  expect(deleting.push.objects[0]!.metadata.finalizers).toEqual(['test.kluctl-serverless.io/hold']);

  await patchKd(ns, 'app', { metadata: { finalizers: null } });
  const gone = await eventually(async () => {
    expect(ingest.pushesFor(ns)).toHaveLength(3);
    return ingest.pushesFor(ns)[2]!;
  });
  expect(gone.push.kind).toBe('delete');
  expect(gone.push.objects.map((o) => o.metadata.name)).toEqual(['app']);
  expect(mirrorFacts(ingest, ns)).toEqual({});
});

test('ingest down for a while, then up: every change arrives, the latest state of each object', async () => {
  // Only this test's namespace: the other test files create KluctlDeployments in parallel, and their
  // changes would count in the shim's outbox too.
  const ns = await createTestNamespace('shim-outage');
  const { ingest, shim } = await startShim({ shim: { namespaces: [ns] } });
  await createKd(ns, 'stays');
  await createKd(ns, 'changes');
  await createKd(ns, 'goes');
  await mirrorConverges(ingest, ns);

  await ingest.down();
  const downAt = Date.now();
  await createKd(ns, 'new');
  await patchKd(ns, 'changes', { spec: { interval: '6m' } });
  await patchKd(ns, 'changes', { spec: { interval: '7m' } });
  await annotateKd(ns, 'stays', 'kluctl.io/request-deploy', 'd1');
  await deleteKd(ns, 'goes');
  // Ingest stays away for 3 s: several failed attempts with growing delays.
  await new Promise((r) => setTimeout(r, 3000 - (Date.now() - downAt)));
  expect(shim.state().outbox).toMatchObject({ pushesSent: expect.any(Number), pendingObjects: 4 });
  expect(shim.state().outbox.failures).toBeGreaterThanOrEqual(3);
  await ingest.up();
  const upAt = Date.now();

  await mirrorConverges(ingest, ns);
  expect(mirrorFacts(ingest, ns)).toMatchObject({
    changes: { generation: 3 },
    stays: { annotations: { 'kluctl.io/request-deploy': 'd1' } },
    new: { generation: 1 },
  });
  expect(mirrorFacts(ingest, ns)).not.toHaveProperty('goes');
  // After the outage a resync follows.
  await eventually(async () =>
    expect(ingest.received.some((r) => r.at >= upAt && r.push.kind === 'resync')).toBe(true),
  );
  expect(ingest.refused).toEqual([]);
});

test('a shim restarted after changes it did not see repairs the mirror with its first push, a resync', async () => {
  const first = await startShim();
  const ns = await createTestNamespace('shim-restart');
  await createKd(ns, 'kept');
  await createKd(ns, 'deleted');
  await mirrorConverges(first.ingest, ns);
  await first.shim.stop();

  await createKd(ns, 'created');
  await patchKd(ns, 'kept', { spec: { interval: '9m' } });
  await deleteKd(ns, 'deleted');
  expect(mirrorFacts(first.ingest, ns)).toHaveProperty('deleted');

  // The new shim pushes to the same ingest (its mirror is stale now).
  const second = new Shim({
    watcher: new HttpKubeWatcher(shimKube),
    endpoint: new FetchIngestEndpoint(first.ingest.url),
    clusterId,
    key: KEY,
    resyncIntervalMs: 0,
  });
  const before = first.ingest.received.length;
  second.start();
  cleanups.push(() => second.stop());
  await mirrorConverges(first.ingest, ns);
  expect(first.ingest.received[before]!.push.kind).toBe('resync');
  expect(mirrorFacts(first.ingest, ns)).toEqual({ kept: { generation: 2 }, created: { generation: 1 } });
});

/** A `kluctl-serverless shim` process; its stderr lines are collected. */
function startShimProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI_BIN, 'shim', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  let rest = '';
  const onData = (c: Buffer): void => {
    rest += c.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    lines.push(...parts.filter((l) => l.trim()));
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, lines, exited };
}

test('the shim command: /healthz, JSON logs without the key, SIGTERM, and a restart repaired by its resync', async () => {
  const ingest = new TestIngestServer(KEY);
  await ingest.up();
  cleanups.push(() => ingest.down());
  const keyFile = join(testEnv().runDir, `shim-${randomBytes(4).toString('hex')}.key`);
  // With the line break `echo` or an editor adds: it is not part of the key.
  await writeFile(keyFile, `${KEY.toString()}\n`, { mode: 0o600 });
  const kubeconfig = await shimKubeconfig();
  const port = await freePort();
  const ns = await createTestNamespace('shim-cli');
  await createKd(ns, 'kept');
  await createKd(ns, 'deleted');
  const common = ['--ingest-url', ingest.url, '--kubeconfig', kubeconfig, '--listen', `127.0.0.1:${port}`];

  const first = startShimProcess([...common, '--key-file', keyFile]);
  await mirrorConverges(ingest, ns, 60_000);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ clusterId, running: true, informers: [{ synced: true }] });
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);

  await createKd(ns, 'created');
  await patchKd(ns, 'kept', { spec: { interval: '9m' } });
  await deleteKd(ns, 'deleted');
  const before = ingest.received.length;
  // The second start takes the key file from the environment.
  const second = startShimProcess(common, { KLUCTL_SERVERLESS_SHIM_KEY_FILE: keyFile });
  await mirrorConverges(ingest, ns, 60_000);
  expect(ingest.received[before]!.push.kind).toBe('resync');
  expect(mirrorFacts(ingest, ns)).toEqual({ kept: { generation: 2 }, created: { generation: 1 } });
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);

  const lines = [...first.lines, ...second.lines];
  expect(lines.length).toBeGreaterThan(3);
  for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
  expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(
    expect.arrayContaining(['shim started', 'serving /healthz', 'stopping', 'shim stopped']),
  );
  expect(lines.join('\n')).not.toContain(KEY.toString());
  expect(ingest.refused).toEqual([]);
}, 180_000);

test('the periodic resync lists again and pushes the complete list', async () => {
  const { ingest } = await startShim({ shim: { resyncIntervalMs: 1500 } });
  const ns = await createTestNamespace('shim-periodic');
  await createKd(ns, 'app');
  await mirrorConverges(ingest, ns);
  const t0 = Date.now();
  await eventually(
    async () => {
      const resyncs = ingest.received.filter((r) => r.at > t0 && r.push.kind === 'resync');
      expect(resyncs.length).toBeGreaterThanOrEqual(2);
      expect(resyncs.at(-1)!.push.objects.some((o) => o.metadata.namespace === ns)).toBe(true);
    },
    { timeoutMs: 10_000 },
  );
});

test('a dropped API connection (watch cut, API unreachable for 3 s) loses nothing', async () => {
  const api = await apiServerAddress();
  const proxy = new TcpProxy(api.host, api.port);
  await proxy.open();
  cleanups.push(() => proxy.cut());
  const kube = await HttpKubeClient.fromKubeconfig({
    kubeconfigPath: await shimKubeconfig({ server: `https://${proxy.address}` }),
  });
  cleanups.push(() => kube.close());
  const { ingest, shim } = await startShim({ kube });
  const ns = await createTestNamespace('shim-dropped');
  await createKd(ns, 'a');
  await createKd(ns, 'b');
  await mirrorConverges(ingest, ns);

  await proxy.cut();
  await createKd(ns, 'c');
  await patchKd(ns, 'a', { spec: { interval: '8m' } });
  await deleteKd(ns, 'b');
  await eventually(async () => expect(shim.state().informers[0]!.lastError).toBeDefined(), {
    timeoutMs: 10_000,
  });
  await new Promise((r) => setTimeout(r, 3000));
  expect(mirrorFacts(ingest, ns)).toHaveProperty('b');
  await proxy.open();

  await mirrorConverges(ingest, ns);
  expect(mirrorFacts(ingest, ns)).toEqual({ a: { generation: 2 }, c: { generation: 1 } });
  await eventually(async () =>
    expect(shim.state().informers[0]).toMatchObject({ watching: true, synced: true }),
  );
});

test('with a namespace list only those namespaces are watched, and their resync lists only them', async () => {
  const watched = await createTestNamespace('shim-ns-in');
  const other = await createTestNamespace('shim-ns-out');
  const { ingest } = await startShim({ shim: { namespaces: [watched] } });
  await createKd(watched, 'in');
  await createKd(other, 'out');
  await mirrorConverges(ingest, watched);
  await new Promise((r) => setTimeout(r, 500));
  expect(ingest.pushesFor(other)).toEqual([]);
  const resyncs = ingest.received.filter((r) => r.push.kind === 'resync');
  expect(resyncs.length).toBeGreaterThan(0);
  for (const r of resyncs) expect(r.push.objects.every((o) => o.metadata.namespace === watched)).toBe(true);
});

test('after a 401 the watcher connects again, so a rotated service-account token is read afresh', async () => {
  const stale = await HttpKubeClient.fromKubeconfig({
    kubeconfigPath: await shimKubeconfig({ token: 'expired-token' }),
  });
  let reconnects = 0;
  const watcher = new HttpKubeWatcher(stale, async () => {
    reconnects++;
    return HttpKubeClient.fromKubeconfig({ kubeconfigPath: await shimKubeconfig() });
  });
  const first = await watcher.listVersioned(KLUCTL_DEPLOYMENTS).catch((e: unknown) => e);
  expect(first).toBeInstanceOf(KubeApiError);
  expect((first as KubeApiError).status).toBe(401);
  expect(reconnects).toBe(1);
  const second = await watcher.listVersioned(KLUCTL_DEPLOYMENTS);
  expect(Number(second.resourceVersion)).toBeGreaterThan(0);
  expect(reconnects).toBe(1);
});

test('a watch from a resourceVersion the server no longer has ends as expired (the shim then lists)', async () => {
  const watcher = new HttpKubeWatcher(shimKube);
  const ctl = new AbortController();
  const end = await watcher.watch(
    KLUCTL_DEPLOYMENTS,
    { resourceVersion: '1', signal: ctl.signal },
    () => undefined,
  );
  expect(end).toBe('expired');
});

test("the manifests' identity reads KluctlDeployments and kube-system, and is refused Secrets and the rest", async () => {
  const ns = await createTestNamespace('shim-rbac');
  await kubectlOk(['create', 'secret', 'generic', 'db', '-n', ns, '--from-literal=password=hunter2']);
  await createKd(ns, 'app');
  const secret = { group: '', version: 'v1', kind: 'Secret', name: 'db', namespace: ns };
  const status = async (p: Promise<unknown>): Promise<number | string> =>
    p.then(
      () => 'allowed',
      (err: unknown) => (err instanceof KubeApiError ? (err.status ?? err.code) : String(err)),
    );
  expect(await status(shimKube.get(secret))).toBe(403);
  const secrets = (await admin.resolve('v1', 'Secret'))!;
  expect(await status(shimKube.list(secrets, { namespace: ns }))).toBe(403);
  expect(await status(shimKube.list(secrets))).toBe(403);
  const configMaps = (await admin.resolve('v1', 'ConfigMap'))!;
  expect(await status(shimKube.list(configMaps, { namespace: ns }))).toBe(403);
  expect(await status(shimKube.get({ group: '', version: 'v1', kind: 'Namespace', name: 'default' }))).toBe(
    403,
  );
  expect(
    await status(shimKube.get({ group: '', version: 'v1', kind: 'Namespace', name: 'kube-system' })),
  ).toBe('allowed');
  // KluctlDeployments: read and patch, but neither create nor delete.
  expect(await status(shimKube.list(KLUCTL_DEPLOYMENTS, { namespace: ns }))).toBe('allowed');
  const ref = {
    group: 'gitops.kluctl.io',
    version: 'v1beta1',
    kind: 'KluctlDeployment',
    name: 'app',
    namespace: ns,
  };
  expect(
    await status(
      shimKube.mergePatch(ref, { metadata: { labels: { x: 'y' } } }, { fieldManager: 'shim-test' }),
    ),
  ).toBe('allowed');
  expect(await status(shimKube.delete(ref))).toBe(403);
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'other', namespace: ns },
    spec: SPEC,
  };
  expect(await status(shimKube.apply(kd, { fieldManager: 'shim-test' }))).toBe(403);
});

test('the install manifests pass a server-side dry run (kubectl apply -k deploy/shim)', async () => {
  const r = await kubectlTest([
    'apply',
    '--server-side',
    '--field-manager=kluctl-serverless-test',
    '--dry-run=server',
    '-k',
    SHIM_MANIFESTS_DIR,
    '-o',
    'name',
  ]);
  expect(r.stderr.trim()).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n').sort()).toEqual([
    'clusterrole.rbac.authorization.k8s.io/kluctl-serverless-shim',
    'clusterrolebinding.rbac.authorization.k8s.io/kluctl-serverless-shim',
    'deployment.apps/kluctl-serverless-shim',
    'namespace/kluctl-serverless-system',
    'serviceaccount/kluctl-serverless-shim',
  ]);
});
