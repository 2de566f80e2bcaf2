import type { KubeClient, KubeClientFactory } from '../../lib/ports.js';
import { ClusterClients } from '../../lib/serverless/cluster-clients.js';
import type { ClusterConnection } from '../../lib/serverless/cluster-clients.js';
import { MemoryClusterRegistry } from '../../lib/serverless/memory-cluster-registry.js';

/** A connection that knows which kubeconfig built it; `kubeconfig` text is `<cluster id>#<version>`. */
interface FakeConnection extends ClusterConnection {
  readonly kubeconfig: string;
  closed: boolean;
}

function fakeConnect(opened: FakeConnection[], fail = new Set<string>()) {
  return async (kubeconfig: string): Promise<ClusterConnection> => {
    if (fail.has(kubeconfig)) throw new Error(`cannot reach ${kubeconfig}`);
    const reaches = kubeconfig.split('#')[0]!;
    const conn: FakeConnection = {
      kubeconfig,
      closed: false,
      kube: { clusterId: async () => reaches } as KubeClient,
      clusters: {} as KubeClientFactory,
      close() {
        conn.closed = true;
      },
    };
    opened.push(conn);
    return conn;
  };
}

describe('ClusterClients', () => {
  it('gives each cluster its own connection from its own kubeconfig, once', async () => {
    const opened: FakeConnection[] = [];
    const registry = new MemoryClusterRegistry([
      { id: 'a', kubeconfig: 'a#1' },
      { id: 'b', kubeconfig: 'b#1' },
    ]);
    const clients = new ClusterClients(registry, fakeConnect(opened));
    const [a1, b1, a2] = await Promise.all([
      clients.forCluster('a'),
      clients.forCluster('b'),
      clients.forCluster('a'),
    ]);
    expect((a1 as FakeConnection).kubeconfig).toBe('a#1');
    expect((b1 as FakeConnection).kubeconfig).toBe('b#1');
    expect(a2).toBe(a1);
    expect(b1).not.toBe(a1);
    expect(opened.map((c) => c.kubeconfig)).toEqual(['a#1', 'b#1']);
  });

  it('answers undefined for an unregistered cluster', async () => {
    const clients = new ClusterClients(new MemoryClusterRegistry([]), fakeConnect([]));
    expect(await clients.forCluster('nobody')).toBeUndefined();
  });

  it('refuses a kubeconfig that reaches another cluster than the one it is registered for', async () => {
    const opened: FakeConnection[] = [];
    const registry = new MemoryClusterRegistry([{ id: 'a', kubeconfig: 'b#1' }]);
    const clients = new ClusterClients(registry, fakeConnect(opened));
    await expect(clients.forCluster('a')).rejects.toThrow(
      'the kubeconfig registered for cluster a reaches cluster b (the UID of its kube-system namespace); register each cluster under its own id',
    );
    expect(opened[0]?.closed).toBe(true);
  });

  it('does not keep a failed connection: the next call tries again', async () => {
    const fail = new Set(['a#1']);
    const opened: FakeConnection[] = [];
    const clients = new ClusterClients(
      new MemoryClusterRegistry([{ id: 'a', kubeconfig: 'a#1' }]),
      fakeConnect(opened, fail),
    );
    await expect(clients.forCluster('a')).rejects.toThrow('cannot reach a#1');
    fail.clear();
    expect(await clients.forCluster('a')).toBe(opened[0]);
  });

  it('asks the registry again after maxAgeMs and replaces the connection when the kubeconfig changed', async () => {
    const opened: FakeConnection[] = [];
    const kubeconfigs = new Map([['a', 'a#1']]);
    const registry = {
      list: async () => [],
      shimKey: async () => undefined,
      kubeconfig: async (id: string) => kubeconfigs.get(id),
    };
    const time = { now: 0 };
    const clients = new ClusterClients(registry, fakeConnect(opened), {
      maxAgeMs: 1000,
      now: () => time.now,
    });
    const first = await clients.forCluster('a');
    kubeconfigs.set('a', 'a#2');
    time.now = 999;
    expect(await clients.forCluster('a')).toBe(first);
    time.now = 1000;
    const second = (await clients.forCluster('a')) as FakeConnection;
    expect(second.kubeconfig).toBe('a#2');
    await Promise.resolve();
    expect((first as FakeConnection).closed).toBe(true);
    // Unchanged after another maxAgeMs: kept.
    time.now = 2500;
    expect(await clients.forCluster('a')).toBe(second);
    // Removed from the registry: dropped and closed.
    kubeconfigs.delete('a');
    time.now = 4000;
    expect(await clients.forCluster('a')).toBeUndefined();
    await Promise.resolve();
    expect(second.closed).toBe(true);
  });
});
