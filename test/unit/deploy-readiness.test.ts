/** Readiness rules per kind (kluctl-semantics §6.1), table-driven as Kluctl's validation tests are. */
import { checkReadiness } from '../../lib/deploy/check-readiness.js';
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
      ['kluctl.io/is-ready annotation is set to false'],
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
      ['readyReplicas (1) is less then replicas (2)'],
    ],
    [
      'deployment without ready replicas (the API server omits a zero readyReplicas)',
      obj('apps/v1', 'Deployment', { spec: { replicas: 2 }, status: { replicas: 2 } }),
      true,
      false,
      ['readyReplicas field not in status or empty'],
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
    ['job running', obj('batch/v1', 'Job', { status: { active: 1 } }), true, false, ['Not completed']],
    ['pvc bound', obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } }), true, true, []],
    [
      'pvc pending',
      obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } }),
      true,
      false,
      ['Volume is not bound'],
    ],
    [
      'load balancer without ingress',
      obj('v1', 'Service', {
        spec: { type: 'LoadBalancer', clusterIP: '10.0.0.5' },
        status: { loadBalancer: {} },
      }),
      true,
      false,
      ['Not ready'],
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
      ['Not ready'],
    ],
    [
      'statefulset ready',
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 2, updateStrategy: { type: 'RollingUpdate' } },
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
      // Kluctl reads maxUnavailable from spec.updateStrategy, not from its rollingUpdate.
      'daemonset within maxUnavailable',
      obj('apps/v1', 'DaemonSet', {
        spec: { updateStrategy: { type: 'RollingUpdate', maxUnavailable: '50%' } },
        status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberReady: 2 },
      }),
      true,
      true,
      [],
    ],
    [
      'daemonset too few ready',
      obj('apps/v1', 'DaemonSet', {
        spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } },
        status: { desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberReady: 2 },
      }),
      true,
      false,
      ['DaemonSet is not ready. 2 out of 3 expected pods are ready'],
    ],
    [
      'daemonset with no pod to schedule (a zero updatedNumberScheduled is omitted)',
      obj('apps/v1', 'DaemonSet', {
        spec: { updateStrategy: { type: 'RollingUpdate' } },
        status: { desiredNumberScheduled: 0, numberReady: 0 },
      }),
      true,
      false,
      ['updatedNumberScheduled field not in status or empty'],
    ],
    [
      'statefulset not scheduled',
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate' } },
        status: { replicas: 1, updatedReplicas: 1 },
      }),
      true,
      false,
      ['StatefulSet is not ready. 1 out of 3 expected pods have been scheduled'],
    ],
    [
      'statefulset scheduled, not ready',
      obj('apps/v1', 'StatefulSet', {
        spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate' } },
        status: { replicas: 3, updatedReplicas: 3, readyReplicas: 1 },
      }),
      true,
      false,
      ['StatefulSet is not ready. 1 out of 3 expected pods are ready'],
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
      ['CRD is not ready'],
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
    expect(job).toMatchObject({ ready: false, notReady: [], errors: ['BackoffLimitExceeded'] });
    const pod = checkReadiness(
      obj('v1', 'Pod', {
        status: { containerStatuses: [{ name: 'app', state: { terminated: { reason: 'Error' } } }] },
      }),
      { now, statusExpected: true },
    );
    expect(pod.errors).toEqual(['container app exited with error']);
    expect(pod.notReady).toEqual(['Ready condition not in status', 'Not ready']);
  });

  it('collects validate-result annotations; validate-ignore skips everything', () => {
    const annotations = { 'validate-result.kluctl.io/check': 'all good' };
    const o = obj(
      'apps/v1',
      'Deployment',
      { spec: { replicas: 1 }, status: { replicas: 1 } },
      { annotations },
    );
    expect(checkReadiness(o, { now, statusExpected: true })).toMatchObject({
      ready: false,
      results: [{ annotation: 'validate-result.kluctl.io/check', message: 'all good' }],
    });
    const ignored = {
      ...o,
      metadata: { ...o.metadata, annotations: { ...annotations, 'kluctl.io/validate-ignore': 'true' } },
    };
    expect(checkReadiness(ignored, { now, statusExpected: true })).toMatchObject({
      ready: true,
      results: [],
    });
  });

  it('warns when it cannot tell whether a status is expected', () => {
    expect(
      checkReadiness(obj('example.com/v1', 'Thing'), { now, statusExpected: undefined }).warnings,
    ).toEqual([
      "unable to determine if a status is expected. This usually happens when you don't have permission to list CRDs or status sub-resources",
    ]);
  });
});
