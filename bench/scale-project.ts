/**
 * The project and the KluctlDeployments of the scale benchmark (bench/scale.ts): one small Kluctl
 * project in one Git repository, rendered by every deployment with its own args into its own namespace,
 * so the N deployments share a source (as many teams' deployments share a monorepo) but deploy
 * disjoint objects under their own discriminators.
 */

/**
 * The project: a Namespace, a barrier, then 1–6 ConfigMaps (`args.cms`), a Deployment (kwok makes its
 * Pod ready) and a headless Service (the test cluster's service range is a /24, too small for 1,000
 * ClusterIPs): 4–9 objects per deployment.
 */
export function scaleProjectFiles(): Record<string, string> {
  return {
    '.kluctl.yml': [
      'discriminator: "scale-{{ args.name }}"',
      'targets:',
      '  - name: scale',
      'args:',
      '  - name: name',
      '  - name: cms',
      '    default: 1',
      '',
    ].join('\n'),
    'deployment.yml': 'deployments:\n  - path: ns\n  - barrier: true\n  - path: app\n',
    'ns/namespace.yml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "{{ args.name }}"\n',
    'app/configmaps.yml': [
      '{% for i in range(args.cms | int) %}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: cm-{{ i }}',
      '  namespace: "{{ args.name }}"',
      'data:',
      '  i: "{{ i }}"',
      '  owner: "{{ args.name }}"',
      '{% endfor %}',
      '',
    ].join('\n'),
    'app/deployment.yml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: app',
      '  namespace: "{{ args.name }}"',
      'spec:',
      '  replicas: 1',
      '  selector:',
      '    matchLabels: { app: app }',
      '  template:',
      '    metadata:',
      '      labels: { app: app }',
      '    spec:',
      '      containers:',
      '        - name: main',
      '          image: registry.k8s.io/pause:3.9',
      '',
    ].join('\n'),
    'app/service.yml': [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: app',
      '  namespace: "{{ args.name }}"',
      'spec:',
      '  clusterIP: None',
      '  selector: { app: app }',
      '  ports:',
      '    - port: 80',
      '',
    ].join('\n'),
  };
}

/** What {@link scaleDeployments} builds for one side of the benchmark. */
export interface ScaleSide {
  /** Namespace of the KluctlDeployments (the reconciler watches only it). */
  readonly namespace: string;
  /** Prefix of each deployment's target namespace (`<prefix>-<i>`). */
  readonly prefix: string;
}

/** N KluctlDeployments of `side`, all from `url`, as one `List` for `kubectl apply -f -`. */
export function scaleDeployments(side: ScaleSide, n: number, url: string, interval: string): string {
  const items = Array.from({ length: n }, (_, i) => ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: `d-${i}`, namespace: side.namespace },
    spec: {
      interval,
      timeout: '5m',
      source: { git: { url } },
      target: 'scale',
      context: 'default',
      args: { name: `${side.prefix}-${i}`, cms: 1 + (i % 6) },
      prune: true,
    },
  }));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
