/**
 * The runner's object caches (lib/adapters/object-caches.ts, ADR 0014) against the real API server:
 * lists by discriminator are answered from watches that see what others create, change and delete;
 * this process's own writes are seen by the very next list; a watch that expired (410 Gone) lists
 * again; each identity has its own cache, so an account that may not list gets the API's refusal and
 * Kluctl's permission warning, never objects the runner read; a CRD created out of band becomes a
 * resource type for orphan search without a restart.
 */
import { readFile } from 'node:fs/promises';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { CachedKubeClient } from '../../lib/adapters/cached-kube-client.js';
import { HttpKubeWatcher } from '../../lib/adapters/http-kube-watcher.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeObjectCache } from '../../lib/adapters/kube-object-cache.js';
import { objectCacheScopes, startObjectCaches } from '../../lib/adapters/object-caches.js';
import type { ObjectCaches } from '../../lib/adapters/object-caches.js';
import { collectRemoteObjects, LIST_PERMISSION_WARNING } from '../../lib/deploy/remote-objects.js';
import type { KubeWatcher, ResourceInfo, WatchEnd, WatchEvent, WatchOptions } from '../../lib/ports.js';
import { silentLogger } from '../../lib/ports.js';
import {
  createTestNamespace,
  eventually,
  kubectlTest,
  restrictedKubeconfig,
  testEnv,
} from '../support/test-env.js';
import { CONFIGMAPS } from '../support/resources.js';

const CM = CONFIGMAPS;
const LABEL = 'kluctl.io/discriminator';
const selector = (d: string) => `${LABEL}=${d}`;

let admin: HttpKubeClient;
let caches: ObjectCaches;
let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('objcache');
  admin = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  caches = startObjectCaches({
    kube: admin,
    clusters: new HttpKubeClientFactory(admin),
    logger: silentLogger,
  });
});

afterAll(async () => {
  await caches?.stop();
  admin?.close();
});

async function kubectl(...args: string[]): Promise<void> {
  const r = await kubectlTest(args);
  if (r.code !== 0) throw new Error(r.stderr);
}

const names = async (kube = caches.kube, d = 'others') =>
  (await kube.list(CM, { labelSelector: selector(d) })).map((o) => o.metadata.name).sort();

const configMap = (name: string, d: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { [LABEL]: d } },
  data,
});

test('creates, changes and deletes by others are seen without listing the API server', async () => {
  expect(await names()).toEqual([]);
  const gets = () => admin.stats.byVerb.GET ?? 0;
  const before = gets();
  await kubectl('create', 'configmap', 'a', '-n', ns, '--from-literal=v=1');
  await kubectl('label', 'configmap', 'a', '-n', ns, `${LABEL}=others`);
  await eventually(async () => expect(await names()).toEqual(['a']));
  await kubectl('patch', 'configmap', 'a', '-n', ns, '-p', '{"data":{"v":"2"}}');
  await eventually(async () => {
    const [a] = await caches.kube.list(CM, { labelSelector: selector('others') });
    expect(a?.data).toEqual({ v: '2' });
  });
  await kubectl('label', 'configmap', 'a', '-n', ns, `${LABEL}-`);
  await eventually(async () => expect(await names()).toEqual([]));
  await kubectl('label', 'configmap', 'a', '-n', ns, `${LABEL}=others`);
  await eventually(async () => expect(await names()).toEqual(['a']));
  await kubectl('delete', 'configmap', 'a', '-n', ns);
  await eventually(async () => expect(await names()).toEqual([]));
  // Every answer came from the watch.
  expect(gets()).toBe(before);
});

/** The real watcher, whose watch can be made to lose events and then end as expired (HTTP 410). */
class ExpiringWatcher implements KubeWatcher {
  lists = 0;
  private dropping = false;
  private current: AbortController | undefined;
  constructor(private readonly inner: KubeWatcher) {}
  listVersioned(...a: Parameters<KubeWatcher['listVersioned']>) {
    this.lists++;
    return this.inner.listVersioned(...a);
  }
  async watch(r: ResourceInfo, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<WatchEnd> {
    const ctl = (this.current = new AbortController());
    opts.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    const end = await this.inner.watch(r, { ...opts, signal: ctl.signal }, (e) => {
      if (!this.dropping) onEvent(e);
    });
    if (!this.dropping) return end;
    this.dropping = false;
    return 'expired';
  }
  /** Events from now on are lost until {@link expire}. */
  drop(): void {
    this.dropping = true;
  }
  /** Ends the watch as the API server does when its resourceVersion is too old. */
  expire(): void {
    this.current?.abort();
  }
}

test('this process sees its own apply, change and delete on the next list, without the watch', async () => {
  // A watch that reports nothing: only the writes themselves can update the copy.
  const watcher = new ExpiringWatcher(new HttpKubeWatcher(admin));
  const cache = new KubeObjectCache({ watcher, scopes: objectCacheScopes(), logger: silentLogger });
  const kube = new CachedKubeClient(admin, cache);
  try {
    expect(await names(kube, 'mine')).toEqual([]);
    watcher.drop();
    await admin.resolve('v1', 'ConfigMap');
    const lists = () => admin.stats.byVerb.GET ?? 0;
    const before = lists();
    const applied = await kube.apply(configMap('b', 'mine', { v: '1' }), { fieldManager: 'test' });
    let listed = await kube.list(CM, { labelSelector: selector('mine') });
    expect(listed.map((o) => [o.metadata.name, o.metadata.resourceVersion])).toEqual([
      ['b', applied.metadata.resourceVersion],
    ]);
    await kube.apply(configMap('b', 'mine', { v: '2' }), { fieldManager: 'test' });
    listed = await kube.list(CM, { labelSelector: selector('mine') });
    expect(listed.map((o) => o.data)).toEqual([{ v: '2' }]);
    // A dry run changes nothing.
    await kube.apply(configMap('b', 'mine', { v: '3' }), { fieldManager: 'test', dryRun: true });
    listed = await kube.list(CM, { labelSelector: selector('mine') });
    expect(listed.map((o) => o.data)).toEqual([{ v: '2' }]);
    expect(lists()).toBe(before);
    // Gone at once; until the watch confirms a delete, lists ask the API server.
    await kube.delete({ group: '', version: 'v1', kind: 'ConfigMap', name: 'b', namespace: ns });
    expect(await names(kube, 'mine')).toEqual([]);
  } finally {
    cache.stop();
  }
});

test('a watch that expired (410 Gone) lists again, and the copy has what the lost events said', async () => {
  const watcher = new ExpiringWatcher(new HttpKubeWatcher(admin));
  const cache = new KubeObjectCache({ watcher, scopes: objectCacheScopes(), logger: silentLogger });
  try {
    expect(await cache.list(CM, { labelSelector: selector('expiry') })).toEqual([]);
    expect(watcher.lists).toBe(1);
    watcher.drop();
    await kubectl('create', 'configmap', 'c', '-n', ns);
    await kubectl('label', 'configmap', 'c', '-n', ns, `${LABEL}=expiry`);
    watcher.expire();
    await eventually(async () => {
      const listed = await cache.list(CM, { labelSelector: selector('expiry') });
      expect(listed?.map((o) => o.metadata.name)).toEqual(['c']);
    });
    expect(watcher.lists).toBe(2);
  } finally {
    cache.stop();
  }
});

test("an identity that may not list gets the API's refusal and Kluctl's warning, not the runner's objects", async () => {
  await caches.kube.apply(configMap('d', 'shared', {}), { fieldManager: 'test' });
  expect(await names(caches.kube, 'shared')).toEqual(['d']);
  await kubectl('create', 'serviceaccount', 'nolist', '-n', ns);
  const sa = await caches.clusters.connect({ impersonateUser: `system:serviceaccount:${ns}:nolist` });
  try {
    await expect(sa.list(CM, { labelSelector: selector('shared') })).rejects.toMatchObject({ status: 403 });
    const remote = await collectRemoteObjects(sa, 'shared', []);
    expect(remote.byKey.size).toBe(0);
    expect(remote.warnings.map((w) => w.message)).toContain(LIST_PERMISSION_WARNING);
    // The runner's own identity still sees it, from its cache.
    const own = await collectRemoteObjects(caches.kube, 'shared', []);
    expect([...own.byKey.values()].map((o) => o.metadata.name)).toEqual(['d']);
  } finally {
    sa.close();
  }
});

test('a refused type costs one list per use, and is watched once RBAC allows it', async () => {
  await kubectl('create', 'serviceaccount', 'later', '-n', ns);
  const user = `system:serviceaccount:${ns}:later`;
  const client = admin.withIdentity(user);
  const cache = new KubeObjectCache({
    watcher: new HttpKubeWatcher(client),
    scopes: objectCacheScopes(),
    logger: silentLogger,
    reflector: { refusedRetryMs: 0 },
  });
  const kube = new CachedKubeClient(client, cache);
  const gets = () => client.stats.byVerb.GET ?? 0;
  try {
    for (let i = 0; i < 3; i++) {
      await expect(kube.list(CM, { labelSelector: selector('shared') })).rejects.toMatchObject({
        status: 403,
      });
    }
    // The watch's first list and the caller's own three: nothing retries behind the caller's back.
    expect(gets()).toBe(4);
    await new Promise((r) => setTimeout(r, 500));
    expect(gets()).toBe(4);
    const name = `ks-objcache-${ns}`;
    const rbac = [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name },
        subjects: [{ kind: 'ServiceAccount', name: 'later', namespace: ns }],
        roleRef: { kind: 'ClusterRole', name, apiGroup: 'rbac.authorization.k8s.io' },
      },
    ];
    const r = await kubectlTest(['apply', '-f', '-'], {
      input: rbac.map((d) => JSON.stringify(d)).join('\n'),
    });
    if (r.code !== 0) throw new Error(r.stderr);
    // The caller's own list works now; that starts the watch again, and the cache answers.
    await eventually(async () => expect(await names(kube, 'shared')).toEqual(['d']));
    await eventually(async () => {
      const before = gets();
      expect(await names(kube, 'shared')).toEqual(['d']);
      expect(gets()).toBe(before);
    });
  } finally {
    cache.stop();
  }
});

test('kubeconfig identities have their own caches, which outlive the clients of one reconcile', async () => {
  const reader = `objcache-reader-${ns}`;
  const nobody = `objcache-nobody-${ns}`;
  const rbac = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: reader },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list', 'watch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: reader },
      subjects: [{ kind: 'User', name: reader, apiGroup: 'rbac.authorization.k8s.io' }],
      roleRef: { kind: 'ClusterRole', name: reader, apiGroup: 'rbac.authorization.k8s.io' },
    },
  ];
  const r = await kubectlTest(['apply', '-f', '-'], { input: rbac.map((d) => JSON.stringify(d)).join('\n') });
  if (r.code !== 0) throw new Error(r.stderr);
  const yaml = async (user: string) => readFile(await restrictedKubeconfig(user), 'utf8');
  const readerYaml = await yaml(reader);
  const none = await caches.clusters.connect({ kubeconfigYaml: await yaml(nobody) });
  await expect(none.list(CM, { labelSelector: selector('shared') })).rejects.toMatchObject({ status: 403 });
  none.close();
  const first = await caches.clusters.connect({ kubeconfigYaml: readerYaml });
  expect(await names(first, 'shared')).toEqual(['d']);
  // The reconcile is done with its client; the next one reuses the identity's connection and cache.
  first.close();
  const second = await caches.clusters.connect({ kubeconfigYaml: readerYaml });
  expect(await names(second, 'shared')).toEqual(['d']);
  await kubectl('label', 'configmap', 'd', '-n', ns, 'seen=yes');
  await eventually(async () => {
    const [d] = await second.list(CM, { labelSelector: selector('shared') });
    expect(d?.metadata.labels?.seen).toBe('yes');
  });
  second.close();
});

test('a CRD created out of band becomes a resource type for orphan search without a restart', async () => {
  const group = `${ns}.example.com`;
  expect((await caches.kube.listResources()).some((r) => r.group === group)).toBe(false);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
  const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(crd) });
  if (r.code !== 0) throw new Error(r.stderr);
  try {
    await eventually(async () => {
      const types = await caches.kube.listResources();
      expect(types.some((t) => t.group === group && t.kind === 'Widget')).toBe(true);
    });
  } finally {
    await kubectlTest(['delete', 'crd', `widgets.${group}`, '--wait=false']);
  }
});

test('a metadata-only list returns metadata alone, from the API server and from the copy alike', async () => {
  await kubectl('create', 'configmap', 'meta-only', '-n', ns, '--from-literal=big=payload');
  await kubectl('label', 'configmap', 'meta-only', '-n', ns, `${LABEL}=meta`);
  await kubectl('annotate', 'configmap', 'meta-only', '-n', ns, 'note=kept');
  const shape = (items: { apiVersion: string; kind: string; metadata: object }[]) =>
    items.map((o) => ({ ...o, metadata: pickMeta(o.metadata) }));
  const pickMeta = (m: object) => {
    const { name, namespace, labels, annotations } = m as Record<string, unknown>;
    return { name, namespace, labels, annotations };
  };
  const expected = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'meta-only',
        namespace: ns,
        labels: { [LABEL]: 'meta' },
        annotations: { note: 'kept' },
      },
    },
  ];
  const opts = { namespace: ns, labelSelector: selector('meta'), metadataOnly: true };
  // The API server's PartialObjectMetadataList: no data in the answer.
  const fromServer = await admin.list(CM, opts);
  expect(shape(fromServer)).toEqual(expected);
  expect(fromServer[0]).not.toHaveProperty('data');
  // The copy answers the same, and a full list from it still has the data.
  await eventually(async () => expect(shape(await caches.kube.list(CM, opts))).toEqual(expected));
  expect((await caches.kube.list(CM, opts))[0]).not.toHaveProperty('data');
  const [full] = await caches.kube.list(CM, { namespace: ns, labelSelector: selector('meta') });
  expect(full).toMatchObject({ data: { big: 'payload' } });
});
