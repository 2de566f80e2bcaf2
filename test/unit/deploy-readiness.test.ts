/** Readiness rules per kind (kluctl-semantics §6.1), table-driven as Kluctl's validation tests are. */
import { checkReadiness } from '../../lib/deploy/readiness.js';
import type { KubeObject } from '../../lib/ports.js';

const now = new Date('2026-11-25T12:00:00Z');
const old = '2026-11-25T11:00:00Z';
const fresh = '2026-11-25T11:59:55Z';

function obj(
  apiVersion: string,
  kind: string,
  extra: Record<string, unknown> = {},
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name: 'x', namespace: 'ns', creationTimestamp: old, generation: 1, ...meta },
    ...extra,
  };
}
const cond = (type: string, status: string, extra: Record<string, unknown> = {}) => ({
  type,
  status,
  ...extra,
});

describe('checkReadiness', () => {
  it.each<[string, KubeObject, boolean | undefined, boolean, string[]]>([
    ['configmap without status', obj('v1', 'ConfigMap'), false, true, []],
    [
      'fresh object whose type has a status',
      obj('apps/v1', 'Deployment', {}, { creationTimestamp: fresh }),
      true,
      false,
      ['no status available yet'],
    ],
    ['old object without status (15s grace)', obj('example.com/v1', 'Thing'), true, true, []],
    [
      'stale observedGeneration',
      obj('example.com/v1', 'Thing', { status: { observedGeneration: 1 } }, { generation: 2 }),
      true,
      false,
      ['Waiting for reconciliation'],
    ],
    [
      'is-ready false',
      obj('v1', 'ConfigMap', {}, { annotations: { 'kluctl.io/is-ready': 'false' } }),
      false,
      false,
      ['kluctl.io/is-ready is false'],
    ],
    [
      'is-ready true wins over status',
      obj(
        'apps/v1',
        'Deployment',
        { spec: { replicas: 3 }, status: { replicas: 3, readyReplicas: 0 } },
        { annotations: { 'kluctl.io/is-ready': 'true' } },
      ),
      true,
      true,
      [],
    ],
    [
      'deployment ready',
      obj('apps/v1', 'Deployment', { spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 2 } }),
      true,
      true,
      [],
    ],
    [
      'deployment not ready',
      obj('apps/v1', 'Deployment', { spec: { replicas: 2 }, status: { replicas: 2, readyReplicas: 1 } }),
      true,
      false,
      ['1 of 2 replicas ready'],
    ],
    [
      'deployment scaled to zero',
      obj('apps/v1', 'Deployment', { spec: { replicas: 0 }, status: { replicas: 0 } }),
      true,
      true,
      [],
    ],
    [
      'job complete',
      obj('batch/v1', 'Job', { status: { conditions: [cond('Complete', 'True')] } }),
      true,
      true,
      [],
    ],
    [
      'job running',
      obj('batch/v1', 'Job', { status: { active: 1 } }),
      true,
      false,
      ['job has not completed'],
    ],
    ['pvc bound', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), true, true, []],
    [
      'pvc pending',
      obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }),
      true,
      false,
      ['volume claim is Pending'],
    ],
    [
      'load balancer without ingress',
      obj('v1', 'Service', {
        spec: { type: 'LoadBalancer', clusterIP: '10.0.0.5' },
        status: { loadBalancer: {} },
      }),
      true,
      false,
      ['load balancer has no ingress yet'],
    ],
    [
      'cluster IP service',
      obj('v1', 'Service', { spec: { clusterIP: '10.0.0.5' }, status: { loadBalancer: {} } }),
      true,
      true,
      [],
    ],
    [
      'completed pod',
      obj('v1', 'Pod', { status: { conditions: [cond('Ready', 'False', { reason: 'PodCompleted' })] } }),
      true,
      true,
      [],
    ],
    [
      'running pod',
      obj('v1', 'Pod', { status: { conditions: [cond('Ready', 'True')] } }),
      true,
      false,
      ['pod has not completed'],
    ],
    [
      'statefulset ready',
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 2 },
        status: { updatedReplicas: 2, readyReplicas: 2 },
      }),
      true,
      true,
      [],
    ],
    [
      'statefulset partition',
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } },
        status: { updatedReplicas: 2, readyReplicas: 3 },
      }),
      true,
      true,
      [],
    ],
    [
      'daemonset within maxUnavailable',
      obj('apps/v1', 'DaemonSet', {
        spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } },
        status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberReady: 2 },
      }),
      true,
      true,
      [],
    ],
    [
      'daemonset too few ready',
      obj('apps/v1', 'DaemonSet', {
        status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberReady: 2 },
      }),
      true,
      false,
      ['not enough pods are ready'],
    ],
    [
      'crd established',
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
        status: { conditions: [cond('Established', 'True')] },
      }),
      true,
      true,
      [],
    ],
    [
      'crd name conflict counts as done',
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
        status: { conditions: [cond('NamesAccepted', 'False')] },
      }),
      true,
      true,
      [],
    ],
    [
      'crd pending',
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {
        status: { conditions: [cond('NamesAccepted', 'True')] },
      }),
      true,
      false,
      ['CRD is not established yet'],
    ],
  ])('%s', (_n, o, statusExpected, ready, notReady) => {
    const r = checkReadiness(o, { now, statusExpected });
    expect(r.ready).toBe(ready);
    expect(r.notReady).toEqual(notReady);
  });

  it('reports failures as errors, not as waiting', () => {
    const job = checkReadiness(
      obj('batch/v1', 'Job', {
        status: { conditions: [cond('Failed', 'True', { message: 'BackoffLimitExceeded' })] },
      }),
      { now, statusExpected: true },
    );
    expect(job).toMatchObject({ ready: false, notReady: [], errors: ['job failed: BackoffLimitExceeded'] });
    const pod = checkReadiness(
      obj('v1', 'Pod', {
        status: { containerStatuses: [{ name: 'app', state: { terminated: { reason: 'Error' } } }] },
      }),
      { now, statusExpected: true },
    );
    expect(pod.errors).toEqual(['container app terminated with an error']);
  });

  it('collects validate-result annotations and honours validate-ignore', () => {
    const o = obj(
      'apps/v1',
      'Deployment',
      { spec: { replicas: 1 }, status: { replicas: 1 } },
      { annotations: { 'validate-result.kluctl.io/check': 'all good', 'kluctl.io/validate-ignore': 'true' } },
    );
    const r = checkReadiness(o, { now, statusExpected: true });
    expect(r).toMatchObject({
      ready: true,
      results: [{ annotation: 'validate-result.kluctl.io/check', message: 'all good' }],
    });
  });

  it('warns when it cannot tell whether a status is expected', () => {
    expect(
      checkReadiness(obj('example.com/v1', 'Thing'), { now, statusExpected: undefined }).warnings,
    ).toEqual(['unable to determine if a status is expected for this object']);
  });
});
