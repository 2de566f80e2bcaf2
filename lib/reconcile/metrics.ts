/**
 * Prometheus metrics of the reconciler with the names and labels of Kluctl's controller (its
 * pkg/controllers/metrics package: `kluctldeployments_*`, and the GitOps Toolkit recorder it uses:
 * `gotk_*`), without a client library: a small registry of gauges and histograms rendered in the text
 * exposition format. The runner's `/metrics` serves {@link renderMetrics}; the functions send the same
 * samples as CloudWatch EMF lines (emf.ts). Reconciles report their figures as {@link MetricSample}s
 * (reconcile-metrics.ts builds them), so both sinks see the same figures.
 */

/** Label values by label name. */
export type Labels = Readonly<Record<string, string>>;

/** One figure: a gauge's new value, or one observation of a histogram. */
export interface MetricSample {
  readonly name: MetricName;
  readonly labels: Labels;
  readonly value: number;
}

/** Where reconciles send their figures: the runner's registry, or EMF lines of a function. */
export interface MetricsSink {
  record(samples: readonly MetricSample[]): void;
}

/** One metric family. */
export interface MetricDef {
  readonly type: 'gauge' | 'histogram';
  readonly help: string;
  readonly labels: readonly string[];
  /** Upper bounds of a histogram's buckets. */
  readonly buckets?: readonly number[];
  /** CloudWatch unit of the values (EMF). */
  readonly unit: 'None' | 'Seconds';
}

/** client_golang's default histogram buckets (Kluctl's duration metrics use them). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The GitOps Toolkit's reconcile duration buckets: client_golang's ExponentialBucketsRange(0.01, 1800,
 * 10), written out as Go computes them (as Kluctl's controller prints them; JavaScript's Math.pow differs
 * in the last digit).
 */
const GOTK_DURATION_BUCKETS = [
  0.01, 0.038363583488692544, 0.1471764538093883, 0.5646216173286169, 2.166090855590701, 8.309900738254731,
  31.879757075478317, 122.30217221643493, 469.19495946736544, 1799.9999999999986,
];

const NS_NAME = ['namespace', 'name'] as const;
const KIND_NAME_NS = ['kind', 'name', 'namespace'] as const;
const gauge = (help: string, labels: readonly string[] = NS_NAME): MetricDef => ({
  type: 'gauge',
  help,
  labels,
  unit: 'None',
});
const seconds = (help: string, labels: readonly string[], buckets = DEFAULT_BUCKETS): MetricDef => ({
  type: 'histogram',
  help,
  labels,
  buckets,
  unit: 'Seconds',
});

/** Every metric, by name: Kluctl's `kluctldeployments_*` and the `gotk_*` ones its controller exposes. */
export const METRICS = {
  kluctldeployments_deployment_interval_seconds: gauge('Deploy interval of the deployment, in seconds.'),
  kluctldeployments_dry_run_enabled: gauge('1 when the deployment runs in dry-run mode, else 0.'),
  kluctldeployments_prune_enabled: gauge('1 when the deployment prunes orphan objects, else 0.'),
  kluctldeployments_delete_enabled: gauge('1 when deleting the deployment deletes its objects, else 0.'),
  kluctldeployments_source_spec: gauge('Source of the deployment, in its labels (value always 0).', [
    ...NS_NAME,
    'url',
    'path',
    'ref',
  ]),
  kluctldeployments_last_object_status: gauge('1 when the last reconcile succeeded, else 0.'),
  kluctldeployments_last_deploy_start_timestamp_seconds: gauge('Start of the last deploy, Unix seconds.'),
  kluctldeployments_number_of_changed_objects: gauge('Objects changed by the last command.'),
  kluctldeployments_number_of_deleted_objects: gauge('Objects deleted by the last command.'),
  kluctldeployments_number_of_orphan_objects: gauge('Orphan objects found by the last command.'),
  kluctldeployments_number_of_errors: gauge('Errors of the last command.', [...NS_NAME, 'action']),
  kluctldeployments_number_of_warnings: gauge('Warnings of the last command.', [...NS_NAME, 'action']),
  kluctldeployments_deployment_duration_seconds: seconds('Duration of deploys, in seconds.', [
    ...NS_NAME,
    'mode',
  ]),
  kluctldeployments_validate_duration_seconds: seconds('Duration of validations, in seconds.', NS_NAME),
  kluctldeployments_delete_duration_seconds: seconds('Duration of deletions, in seconds.', NS_NAME),
  gotk_reconcile_condition: gauge('Ready condition of the resource: 1 for its current status.', [
    ...KIND_NAME_NS,
    'type',
    'status',
  ]),
  gotk_suspend_status: gauge('1 when the resource is suspended, else 0.', KIND_NAME_NS),
  gotk_reconcile_duration_seconds: seconds(
    'Duration of reconciles, in seconds.',
    KIND_NAME_NS,
    GOTK_DURATION_BUCKETS,
  ),
} as const satisfies Record<string, MetricDef>;

/** The name of a metric of {@link METRICS}. */
export type MetricName = keyof typeof METRICS;

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Gauges and histograms in memory, rendered in Prometheus' text format. */
export class MetricsRegistry implements MetricsSink {
  private readonly gauges = new Map<MetricName, Map<string, number>>();
  private readonly histograms = new Map<MetricName, Map<string, Histogram>>();

  /** Sets gauges and observes histograms. */
  record(samples: readonly MetricSample[]): void {
    for (const s of samples) {
      const def: MetricDef = METRICS[s.name];
      const key = labelKey(def, s.labels);
      if (def.type === 'gauge') {
        mapOf(this.gauges, s.name).set(key, s.value);
        continue;
      }
      const series = mapOf(this.histograms, s.name);
      let h = series.get(key);
      if (!h) series.set(key, (h = { counts: (def.buckets ?? []).map(() => 0), sum: 0, count: 0 }));
      (def.buckets ?? []).forEach((le, i) => {
        if (s.value <= le) h.counts[i]!++;
      });
      h.sum += s.value;
      h.count++;
    }
  }

  /** The text exposition format: families by name, series by label values, empty families left out. */
  render(): string {
    const lines: string[] = [];
    const names = [...new Set([...this.gauges.keys(), ...this.histograms.keys()])].sort();
    for (const name of names) {
      const def: MetricDef = METRICS[name];
      lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.type}`);
      if (def.type === 'gauge') {
        for (const [key, v] of sorted(this.gauges.get(name)))
          lines.push(`${name}${labelText(def, key)} ${formatFloat(v)}`);
        continue;
      }
      for (const [key, h] of sorted(this.histograms.get(name))) {
        (def.buckets ?? []).forEach((le, i) =>
          lines.push(`${name}_bucket${labelText(def, key, formatFloat(le))} ${h.counts[i]}`),
        );
        lines.push(`${name}_bucket${labelText(def, key, '+Inf')} ${h.count}`);
        lines.push(`${name}_sum${labelText(def, key)} ${formatFloat(h.sum)}`);
        lines.push(`${name}_count${labelText(def, key)} ${h.count}`);
      }
    }
    return lines.length > 0 ? `${lines.join('\n')}\n` : '';
  }
}

/** The registry of this process: the runner's reconciles record here, `/metrics` renders it. */
export const processMetrics = new MetricsRegistry();

/** The runner's `/metrics` body (content type `text/plain; version=0.0.4`). */
export function renderMetrics(): string {
  return processMetrics.render();
}

function mapOf<V>(m: Map<MetricName, Map<string, V>>, name: MetricName): Map<string, V> {
  let inner = m.get(name);
  if (!inner) m.set(name, (inner = new Map()));
  return inner;
}

/** The label values in the order of the definition, as one key (missing labels are empty). */
function labelKey(def: MetricDef, labels: Labels): string {
  return JSON.stringify(def.labels.map((l) => labels[l] ?? ''));
}

function sorted<V>(m: Map<string, V> | undefined): [string, V][] {
  return [...(m ?? new Map<string, V>()).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `{a="1",b="2"}` with label names sorted (as client_golang prints them) and `le` last. */
function labelText(def: MetricDef, key: string, le?: string): string {
  const values = JSON.parse(key) as string[];
  const pairs = def.labels.map((l, i) => [l, values[i]!] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  if (le !== undefined) pairs.push(['le', le]);
  return `{${pairs.map(([l, v]) => `${l}="${escapeLabel(v)}"`).join(',')}}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * A float as Go's `strconv.FormatFloat(v, 'g', -1, 64)` prints it (client_golang's exposition format):
 * the shortest digits, in exponent form below 1e-4 and from 1e6 on (`1.796519111e+09`).
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(v);
}
