/**
 * A project with one object per readiness rule of Kluctl's `validate`, in the states the test cluster
 * can produce: workloads kwok makes ready, workloads no node can run, a load balancer nobody serves, a
 * volume claim no provisioner binds, and the annotations that override or annotate readiness.
 */
import { configMap, deploymentYml, kluctlYml, podTemplate } from './controller-projects.js';

const ns = '  namespace: "{{ args.namespace }}"';
const meta = (kind: string, apiVersion: string, name: string, extra: string[] = []) => [
  `apiVersion: ${apiVersion}`,
  `kind: ${kind}`,
  'metadata:',
  `  name: ${name}`,
  ns,
  ...extra,
];
const nowhere = ['      nodeSelector: {example.com/none: "x"}'];
/** At most one such pod per node: on the one-node test cluster the second replica never runs. */
const onePerNode = (app: string) => [
  '      affinity:',
  '        podAntiAffinity:',
  '          requiredDuringSchedulingIgnoredDuringExecution:',
  `            - labelSelector: {matchLabels: {app: ${app}}}`,
  '              topologyKey: kubernetes.io/hostname',
];
const pod = podTemplate;
const doc = (lines: string[]) => `${lines.join('\n')}\n`;

const deployment = (name: string, spec: string[] = [], annotations: string[] = [], replicas = 1) =>
  doc([
    ...meta('Deployment', 'apps/v1', name, annotations.length ? ['  annotations:', ...annotations] : []),
    'spec:',
    `  replicas: ${replicas}`,
    ...pod(name, spec),
  ]);
const statefulSet = (name: string, spec: string[] = [], extra: string[] = []) =>
  doc([
    ...meta('StatefulSet', 'apps/v1', name),
    'spec:',
    `  serviceName: ${name}`,
    '  replicas: 2',
    ...extra,
    ...pod(name, spec),
  ]);
const daemonSet = (name: string, spec: string[] = []) =>
  doc([...meta('DaemonSet', 'apps/v1', name), 'spec:', ...pod(name, spec)]);
const job = (name: string, spec: string[] = []) =>
  doc([
    ...meta('Job', 'batch/v1', name),
    'spec:',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    ...spec,
    '      containers:',
    '        - name: job',
    '          image: registry.example.com/job:1.0',
  ]);
const service = (name: string, spec: string[]) => doc([...meta('Service', 'v1', name), 'spec:', ...spec]);

/** The readiness project (discriminator `parity-readiness-<namespace>`). */
export function readinessProject(): Record<string, string> {
  return {
    '.kluctl.yml': kluctlYml('parity-readiness'),
    'deployment.yml': deploymentYml(['crds', 'objects']),
    'crds/crd.yaml': doc([
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata:',
      '  name: widgets.{{ args.namespace }}.example.com',
      'spec:',
      '  group: "{{ args.namespace }}.example.com"',
      '  names: {kind: Widget, plural: widgets, singular: widget}',
      '  scope: Namespaced',
      '  versions:',
      '    - name: v1',
      '      served: true',
      '      storage: true',
      '      subresources: {status: {}}',
      '      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}',
    ]),
    'objects/web.yaml': deployment('web'),
    'objects/stuck.yaml': deployment('stuck', nowhere),
    'objects/ignored.yaml': deployment('ignored', nowhere, ['    kluctl.io/validate-ignore: "true"']),
    'objects/half.yaml': deployment('half', onePerNode('half'), [], 2),
    'objects/db.yaml': statefulSet('db'),
    'objects/half-sts.yaml': statefulSet('half-sts', onePerNode('half-sts'), [
      '  podManagementPolicy: Parallel',
    ]),
    'objects/stuck-sts.yaml': statefulSet('stuck-sts', nowhere),
    'objects/agent.yaml': daemonSet('agent'),
    'objects/nowhere.yaml': daemonSet('nowhere', nowhere),
    'objects/done.yaml': job('done'),
    'objects/stuck-job.yaml': job('stuck-job', nowhere),
    'objects/runner.yaml': doc([
      ...meta('Pod', 'v1', 'runner'),
      'spec:',
      '  containers:',
      '    - name: app',
      '      image: registry.example.com/app:1.0',
    ]),
    'objects/lb.yaml': service('lb', [
      '  type: LoadBalancer',
      '  selector: {app: web}',
      '  ports: [{port: 80}]',
    ]),
    'objects/lb-external.yaml': service('lb-external', [
      '  type: LoadBalancer',
      '  externalIPs: [192.0.2.10]',
      '  selector: {app: web}',
      '  ports: [{port: 80}]',
    ]),
    'objects/plain.yaml': service('plain', ['  selector: {app: web}', '  ports: [{port: 80}]']),
    'objects/external-name.yaml': service('external-name', [
      '  type: ExternalName',
      '  externalName: example.com',
    ]),
    'objects/claim.yaml': doc([
      ...meta('PersistentVolumeClaim', 'v1', 'claim'),
      'spec:',
      '  accessModes: [ReadWriteOnce]',
      '  storageClassName: parity-none',
      '  resources: {requests: {storage: 1Gi}}',
    ]),
    'objects/not-ready.yaml': configMap('not-ready').replace(
      'metadata:\n',
      'metadata:\n  annotations: {kluctl.io/is-ready: "false"}\n',
    ),
    'objects/checked.yaml': configMap('checked').replace(
      'metadata:\n',
      'metadata:\n  annotations: {validate-result.kluctl.io/health: "all good"}\n',
    ),
  };
}

/** Objects kwok makes ready, by kind, for waiting until the cluster settled. */
export const READY_OBJECTS = {
  deployments: ['web'],
  statefulSets: ['db'],
  daemonSets: ['agent'],
  jobs: ['done'],
} as const;
