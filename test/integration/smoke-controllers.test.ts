// Smoke test of the test environment's controllers (devenv/controllers.ts): with
// kube-controller-manager, kube-scheduler and kwok's fake Node, workloads really progress and become
// ready, which the readiness and hook scenarios of Kluctl's e2e suite (e2e/readiness_test.go,
// e2e/hooks_test.go) rely on, and deleted namespaces really go away.
import { FAKE_NODE_NAME } from '../../devenv/controllers.js';
import { createTestNamespace, eventually, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

interface Condition {
  type: string;
  status: string;
}

interface Workload {
  status?: {
    availableReplicas?: number;
    readyReplicas?: number;
    succeeded?: number;
    numberReady?: number;
    desiredNumberScheduled?: number;
    conditions?: Condition[];
  };
}

const WAIT = { timeoutMs: 30_000, intervalMs: 250 };

/** A minimal Pod template; kwok never pulls the image. */
function podTemplate(app: string, restartPolicy = 'Always'): Record<string, unknown> {
  return {
    metadata: { labels: { app } },
    spec: { restartPolicy, containers: [{ name: 'main', image: 'registry.invalid/smoke:1' }] },
  };
}

async function apply(objects: readonly object[]): Promise<void> {
  const res = await kubectlTest(['apply', '--server-side', '--field-manager=kluctl', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  if (res.code !== 0) throw new Error(`kubectl apply failed: ${res.stderr.trim()}`);
}

describe('test environment controllers (what Kluctl readiness e2e scenarios need from a cluster)', () => {
  beforeAll(() => {
    if (!testEnv().controllers) {
      throw new Error('these tests need the test controllers; unset KS_TEST_CONTROLLERS=0 to start them');
    }
  });

  it('registers one fake Node that is Ready and carries no taint', async () => {
    const node = await kubectlJson<{ spec?: { taints?: unknown[] }; status?: { conditions?: Condition[] } }>([
      'get',
      'node',
      FAKE_NODE_NAME,
    ]);
    expect(node.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    );
    expect(node.spec?.taints ?? []).toEqual([]);
  });

  it('makes a Deployment with 2 replicas Available', async () => {
    const ns = await createTestNamespace('smoke-deploy');
    await apply([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web') },
      },
    ]);
    const dep = await eventually(async () => {
      const d = await kubectlJson<Workload>(['get', 'deployment', 'web', '-n', ns]);
      expect(d.status?.availableReplicas).toBe(2);
      return d;
    }, WAIT);
    expect(dep.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Available', status: 'True' }),
    );
    const pods = await kubectlJson<{ items: { spec: { nodeName?: string }; status: { podIP?: string } }[] }>([
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app=web',
    ]);
    expect(pods.items.map((p) => p.spec.nodeName)).toEqual([FAKE_NODE_NAME, FAKE_NODE_NAME]);
    expect(pods.items.every((p) => p.status.podIP?.startsWith('10.244.'))).toBe(true);
  });

  it('runs a Job to completion', async () => {
    const ns = await createTestNamespace('smoke-job');
    await apply([
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once', namespace: ns },
        spec: { backoffLimit: 0, template: podTemplate('once', 'Never') },
      },
    ]);
    const job = await eventually(async () => {
      const j = await kubectlJson<Workload>(['get', 'job', 'once', '-n', ns]);
      expect(j.status?.succeeded).toBe(1);
      return j;
    }, WAIT);
    expect(job.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Complete', status: 'True' }),
    );
  });

  it('brings a StatefulSet and a DaemonSet to ready', async () => {
    const ns = await createTestNamespace('smoke-sts');
    await apply([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'db', namespace: ns },
        spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: ns },
        spec: {
          replicas: 2,
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: podTemplate('db'),
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent', namespace: ns },
        spec: { selector: { matchLabels: { app: 'agent' } }, template: podTemplate('agent') },
      },
    ]);
    await eventually(async () => {
      const sts = await kubectlJson<Workload>(['get', 'statefulset', 'db', '-n', ns]);
      expect(sts.status?.readyReplicas).toBe(2);
    }, WAIT);
    await eventually(async () => {
      const ds = await kubectlJson<Workload>(['get', 'daemonset', 'agent', '-n', ns]);
      expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
    }, WAIT);
  });

  it('gives a new namespace its default ServiceAccount and finishes deleting a namespace with workloads', async () => {
    const ns = await createTestNamespace('smoke-ns');
    await eventually(() => kubectlJson(['get', 'serviceaccount', 'default', '-n', ns]), WAIT);
    await apply([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: ns }, data: { a: '1' } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: podTemplate('web') },
      },
    ]);
    const deleted = await kubectlTest(['delete', 'namespace', ns, '--wait=false']);
    expect(deleted.code).toBe(0);
    await eventually(async () => {
      const res = await kubectlTest(['get', 'namespace', ns, '--ignore-not-found', '-o', 'name']);
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toBe('');
    }, WAIT);
  });
});
