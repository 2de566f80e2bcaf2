/**
 * The projects of the controller parity suite, as file maps for test Git repositories. Every project
 * deploys into `args.namespace`, so the same project can be reconciled by Kluctl's controller and by
 * ours into separate namespaces, and carries its own discriminator.
 */

/** A `.kluctl.yml` with one target `test` and the `namespace` arg. */
export function kluctlYml(discriminator: string | undefined): string {
  return [
    ...(discriminator ? [`discriminator: "${discriminator}-{{ args.namespace }}"`] : []),
    'args:',
    '  - name: namespace',
    'targets:',
    '  - name: test',
    '',
  ].join('\n');
}

/** A `deployment.yml` listing `paths`. */
export function deploymentYml(paths: readonly string[]): string {
  return `deployments:\n${paths.map((p) => `  - path: ${p}`).join('\n')}\n`;
}

/** A ConfigMap in the target namespace. */
export function configMap(name: string, extra = ''): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${name}`,
    '  namespace: "{{ args.namespace }}"',
    'data:',
    `  name: ${name}`,
    extra,
  ].join('\n');
}

/** The selector and pod template of a workload named `app`, with extra pod spec lines. */
export const podTemplate = (app: string, extraSpec: string[] = []): string[] => [
  '  selector:',
  `    matchLabels: {app: ${app}}`,
  '  template:',
  `    metadata: {labels: {app: ${app}}}`,
  '    spec:',
  ...extraSpec,
  '      containers:',
  '        - name: app',
  '          image: registry.example.com/app:1.0',
];

/** A Deployment; `stuck` pins it to a node that does not exist, so it never gets ready. */
export function deployment(name: string, opts: { stuck?: boolean; waitReadiness?: boolean } = {}): string {
  return [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    '  namespace: "{{ args.namespace }}"',
    ...(opts.waitReadiness ? ['  annotations:', '    kluctl.io/wait-readiness: "true"'] : []),
    'spec:',
    '  replicas: 1',
    ...podTemplate(name, opts.stuck ? ['      nodeSelector: {example.com/none: "x"}'] : []),
    '',
  ].join('\n');
}

/** The good project: a ConfigMap, a ClusterIP Service and a Deployment the deploy waits for. */
export function goodProject(discriminator: string): Record<string, string> {
  return {
    '.kluctl.yml': kluctlYml(discriminator),
    'deployment.yml': deploymentYml(['app']),
    'app/configmap.yaml': configMap('app-config'),
    'app/service.yaml': [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: app',
      '  namespace: "{{ args.namespace }}"',
      'spec:',
      '  selector: {app: app}',
      '  ports: [{port: 80}]',
      '',
    ].join('\n'),
    'app/deployment.yaml': deployment('app', { waitReadiness: true }),
  };
}

/** Workloads that never get ready on the test cluster (no node matches, no volume, no load balancer). */
export function notReadyProject(discriminator: string): Record<string, string> {
  const ns = '  namespace: "{{ args.namespace }}"';
  return {
    '.kluctl.yml': kluctlYml(discriminator),
    'deployment.yml': deploymentYml(['workloads']),
    'workloads/deployment.yaml': deployment('stuck', { stuck: true }),
    'workloads/statefulset.yaml': [
      'apiVersion: apps/v1',
      'kind: StatefulSet',
      'metadata:',
      '  name: stuck-sts',
      ns,
      'spec:',
      '  serviceName: stuck-sts',
      '  replicas: 2',
      ...podTemplate('stuck-sts', ['      nodeSelector: {example.com/none: "x"}']),
      '',
    ].join('\n'),
    'workloads/daemonset.yaml': [
      'apiVersion: apps/v1',
      'kind: DaemonSet',
      'metadata:',
      '  name: nowhere',
      ns,
      'spec:',
      ...podTemplate('nowhere', ['      nodeSelector: {example.com/none: "x"}']),
      '',
    ].join('\n'),
    'workloads/service.yaml': [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: lb',
      ns,
      'spec:',
      '  type: LoadBalancer',
      '  selector: {app: stuck}',
      '  ports: [{port: 80}]',
      '',
    ].join('\n'),
    'workloads/pvc.yaml': [
      'apiVersion: v1',
      'kind: PersistentVolumeClaim',
      'metadata:',
      '  name: claim',
      ns,
      'spec:',
      '  accessModes: [ReadWriteOnce]',
      '  storageClassName: parity-none',
      '  resources: {requests: {storage: 1Gi}}',
      '',
    ].join('\n'),
    'workloads/job.yaml': [
      'apiVersion: batch/v1',
      'kind: Job',
      'metadata:',
      '  name: stuck-job',
      ns,
      'spec:',
      '  template:',
      '    spec:',
      '      restartPolicy: Never',
      '      nodeSelector: {example.com/none: "x"}',
      '      containers:',
      '        - name: job',
      '          image: registry.example.com/job:1.0',
      '',
    ].join('\n'),
    'workloads/pod.yaml': [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: runner',
      ns,
      'spec:',
      '  containers:',
      '    - name: app',
      '      image: registry.example.com/app:1.0',
      '',
    ].join('\n'),
  };
}

/** Objects the API server rejects next to one it accepts. */
export function deployErrorsProject(discriminator: string): Record<string, string> {
  return {
    '.kluctl.yml': kluctlYml(discriminator),
    'deployment.yml': deploymentYml(['good', 'bad']),
    'good/configmap.yaml': configMap('fine'),
    'bad/configmap.yaml': configMap('unknown-field', 'data_error:\n  x: y\n'),
    'bad/widget.yaml': [
      'apiVersion: example.com/v1',
      'kind: Widget',
      'metadata:',
      '  name: w',
      '  namespace: "{{ args.namespace }}"',
      '',
    ].join('\n'),
  };
}

/** Two ConfigMaps; `labels` (a YAML flow map body) go on the second, which the next commit removes. */
export function pruneProject(discriminator: string, labels = ''): Record<string, string> {
  const second = configMap('cm2');
  return {
    '.kluctl.yml': kluctlYml(discriminator),
    'deployment.yml': deploymentYml(['cms']),
    'cms/cm1.yaml': configMap('cm1'),
    'cms/cm2.yaml': labels ? second.replace('metadata:\n', `metadata:\n  labels: {${labels}}\n`) : second,
  };
}

/** Projects that fail to prepare: a broken item, two broken items, a broken `.kluctl.yml`. */
export function brokenProjects(): Record<string, string> {
  const broken = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  x: [\n';
  return {
    'one/.kluctl.yml': kluctlYml('parity-broken-one'),
    'one/deployment.yml': deploymentYml(['good', 'bad']),
    'one/good/configmap.yaml': configMap('fine'),
    'one/bad/configmap.yaml': broken,
    'two/.kluctl.yml': kluctlYml('parity-broken-two'),
    'two/deployment.yml': deploymentYml(['bad1', 'bad2']),
    'two/bad1/configmap.yaml': broken,
    'two/bad2/configmap.yaml': broken,
    'config/.kluctl.yml': `${kluctlYml('parity-broken-config')}a: b\n`,
    'config/deployment.yml': deploymentYml(['good']),
    'config/good/configmap.yaml': configMap('fine'),
  };
}
