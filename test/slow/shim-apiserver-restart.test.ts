/**
 * The shim survives a real restart of the API server (issue 10, faults: "API server restarted"). The
 * test starts a private control plane (the shared one serves other test files), stops its
 * kube-apiserver process, changes nothing while it is down (nothing can), starts the same command line
 * again (same port, certificates and etcd, so resourceVersions continue), and then changes objects:
 * the shim must list or watch again by itself and push every change; none of the state before,
 * during or after may be lost.
 */
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { FetchIngestEndpoint } from '../../lib/adapters/fetch-ingest-endpoint.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import type { ObjectRef } from '../../lib/ports.js';
import { mirrorOf } from '../../lib/shim/mirror.js';
import { Shim } from '../../lib/shim/shim.js';
import type { ControlPlane } from '../../devenv/control-plane.js';
import {
  startApiServerAgain,
  startPrivateControlPlane,
  stopApiServer,
} from '../support/apiserver-process.js';
import { factsOf, TestIngestServer } from '../support/shim-harness.js';
import { eventually, testEnv } from '../support/test-env.js';
import type { ManagedProcess } from '../../devenv/processes.js';

const KEY = Buffer.from('restart-test-key-'.padEnd(40, 'x'));
const NS = 'shim-restart';
const SPEC = { interval: '5m', target: 'prod', source: { git: { url: 'https://example.com/repo.git' } } };

let cp: ControlPlane;
let restarted: ManagedProcess | undefined;
const clients: HttpKubeClient[] = [];

beforeAll(async () => {
  cp = await startPrivateControlPlane('shim-apiserver-restart', NS);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await restarted?.stop();
  await cp?.stop();
});

async function adminClient(): Promise<HttpKubeClient> {
  const c = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: cp.kubeconfigPath });
  clients.push(c);
  return c;
}

const ref = (name: string): ObjectRef => ({
  group: 'gitops.kluctl.io',
  version: 'v1beta1',
  kind: 'KluctlDeployment',
  name,
  namespace: NS,
});

async function create(kube: HttpKubeClient, name: string): Promise<void> {
  const kd = {
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name, namespace: NS },
    spec: SPEC,
  };
  await kube.apply(kd, { fieldManager: 'test' });
}

async function mirrorMatchesCluster(ingest: TestIngestServer, kube: HttpKubeClient): Promise<void> {
  const info = (await kube.resolve('gitops.kluctl.io/v1beta1', 'KluctlDeployment'))!;
  const want = factsOf((await kube.list(info, { namespace: NS })).map(mirrorOf));
  await eventually(async () => expect(factsOf([...ingest.mirror.values()])).toEqual(want), {
    timeoutMs: 60_000,
    intervalMs: 100,
  });
}

test('after a kube-apiserver restart the shim watches again and pushes every change', async () => {
  const ingest = new TestIngestServer(KEY);
  await ingest.up();
  const logs: string[] = [];
  const kube = await adminClient();
  const shim = new Shim({
    watcher: new HttpKubeWatcher(await adminClient()),
    endpoint: new FetchIngestEndpoint(ingest.url),
    clusterId: await kube.clusterId(),
    key: KEY,
    resyncIntervalMs: 0,
    watchBackoff: { baseMs: 200, maxMs: 2000 },
    logger: jsonLogger((l) => logs.push(l), 'debug'),
  });
  shim.start();
  try {
    await create(kube, 'a');
    await create(kube, 'b');
    await mirrorMatchesCluster(ingest, kube);

    const argv = await stopApiServer(cp);
    await eventually(async () => expect(shim.state().informers[0]!.lastError).toBeDefined(), {
      timeoutMs: 30_000,
    });
    await new Promise((r) => setTimeout(r, 2000));
    restarted = await startApiServerAgain(cp, argv, join(testEnv().logsDir, 'shim-apiserver-restart'));

    const readyAt = Date.now();
    // Changes right after the restart, while the shim may still be backing off.
    const after = await adminClient();
    await create(after, 'c');
    await after.mergePatch(ref('a'), { spec: { interval: '7m' } }, { fieldManager: 'test' });
    await after.delete(ref('b'));
    await mirrorMatchesCluster(ingest, after);
    expect(factsOf([...ingest.mirror.values()])).toEqual({ a: { generation: 2 }, c: { generation: 1 } });
    await eventually(async () =>
      expect(shim.state().informers[0]).toMatchObject({ watching: true, synced: true }),
    );
    const msgs = logs.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain('list or watch of KluctlDeployments failed; retrying');
    process.stderr.write(
      `shim after API server restart: ${msgs.filter((m) => m.startsWith('list or watch')).length} failed ` +
        `list/watch attempts, relisted after 410: ${msgs.includes('watch resourceVersion expired; listing again')}, ` +
        `mirror complete ${Date.now() - readyAt} ms after /readyz\n`,
    );
    expect(ingest.refused).toEqual([]);
  } finally {
    await shim.stop();
    await ingest.down();
  }
}, 240_000);
