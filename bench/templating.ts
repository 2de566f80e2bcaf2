/**
 * Templating benchmark: renders a realistic mix of 1,000 templates (variable paths, conditionals,
 * loops, filters, `to_yaml`, whitespace control) with our engine and with Python Jinja2 (the pinned
 * venv of scripts/ensure-tools.sh, configured as Kluctl configures it) in the same run. Reports
 * templates per second cold (first parse of every template) and warm (parsed templates cached), one
 * JSON line per engine and mode. Output equality is checked first so both engines do the same work.
 */
import { TemplateEngine } from '../lib/templating/template-engine.js';
import { renderWithJinja2 } from '../devenv/jinja2-reference.js';

const COUNT = Number(process.env.BENCH_TEMPLATES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const SHAPES: readonly ((i: number) => string)[] = [
  (i) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-${i}-{{ args.environment }}
  namespace: {{ args.namespace | default("default") }}
  labels:
    app: {{ args.app.name }}
    env: "{{ target.name }}"
data:
  replicas: "{{ args.app.replicas }}"
  enabled: "{{ args.app.enabled | lower }}"
`,
  (i) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-${i}
spec:
  replicas: {{ (args.app.replicas * 2) | int }}
  template:
    spec:
      containers:
{%- for c in args.containers %}
        - name: {{ c.name }}
          image: "{{ c.image }}:{{ c.tag | default('latest') }}"
          {%- if c.ports is defined %}
          ports:
          {%- for p in c.ports %}
            - containerPort: {{ p }}
          {%- endfor %}
          {%- endif %}
{%- endfor %}
`,
  (i) => `apiVersion: v1
kind: Secret
metadata:
  name: s-${i}
stringData:
  config.yaml: |
    {{ args.app | to_yaml | indent(4) }}
  token: {{ args.app.name | b64encode }}
`,
  (i) => `{% set privileged = ['kube-system', 'monitoring'] %}
apiVersion: v1
kind: Namespace
metadata:
  name: ns-${i}
  labels:
    pod-security: {{ 'privileged' if args.namespace in privileged else 'restricted' }}
{%- for k, v in args.labels.items() %}
    {{ k }}: {{ v | replace('.', '-') }}
{%- endfor %}
`,
  (i) => `{% if args.environment == "prod" and not args.app.debug %}
replicas: {{ [args.app.replicas, 3] | max }}
{% elif args.environment == "dev" %}
replicas: 1
{% else %}
replicas: {{ args.app.replicas }}
{% endif %}
host: "{{ '%s.%s' % (args.app.name, args.domain) }}"
id: ${i}
`,
];

const VARS = {
  target: { name: 'prod', context: 'kind-prod' },
  args: {
    environment: 'prod',
    namespace: 'apps',
    domain: 'example.com',
    app: {
      name: 'web',
      replicas: 3,
      enabled: true,
      debug: false,
      resources: { cpu: '100m', memory: '128Mi' },
    },
    containers: [
      { name: 'app', image: 'nginx', tag: '1.27', ports: [80, 443] },
      { name: 'sidecar', image: 'envoy' },
    ],
    labels: { 'team.name': 'platform', tier: 'frontend' },
  },
};

function templates(): string[] {
  return Array.from({ length: COUNT }, (_, i) => SHAPES[i % SHAPES.length]!(i));
}

function line(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

/** Runs the benchmark. */
export async function main(): Promise<void> {
  const texts = templates();
  const cases = texts.map((template, i) => ({ id: String(i), template, vars: VARS }));

  // Cold: a fresh engine, so every template is parsed on first use.
  const cold = new TemplateEngine({ cacheSize: COUNT * 2 });
  let t0 = performance.now();
  const ours: string[] = [];
  for (const t of texts) ours.push(await cold.render(t, VARS, { file: 'bench.yaml' }));
  const coldS = (performance.now() - t0) / 1000;

  // Warm: the same engine again, every template cached.
  t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (const t of texts) await cold.render(t, VARS, { file: 'bench.yaml' });
  const warmS = (performance.now() - t0) / 1000 / ROUNDS;

  const ref = renderWithJinja2(cases, { rounds: ROUNDS });
  const mismatches = ref.results.filter((r, i) => r.out !== ours[i]).length;
  const py = ref.timings!;
  const common = { bench: 'templating', templates: COUNT, identical_outputs: COUNT - mismatches };
  line({ ...common, engine: 'ours', mode: 'cold', templates_per_s: Math.round(COUNT / coldS) });
  line({ ...common, engine: 'ours', mode: 'warm', templates_per_s: Math.round(COUNT / warmS) });
  line({
    ...common,
    engine: `jinja2-${py.jinja2}`,
    mode: 'cold',
    templates_per_s: Math.round(COUNT / py.cold_s),
  });
  line({
    ...common,
    engine: `jinja2-${py.jinja2}`,
    mode: 'warm',
    templates_per_s: Math.round(COUNT / py.warm_s),
  });
  line({ ...common, case: 'warm speed-up vs jinja2', ratio: Number((py.warm_s / warmS).toFixed(2)) });
}
