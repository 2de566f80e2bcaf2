/**
 * The reconciler's metric samples as CloudWatch Embedded Metric Format lines, for the functions: a log
 * line per set of label values, its labels as dimensions and each metric a member of the document.
 * CloudWatch turns them into metrics of the namespace {@link EMF_NAMESPACE} without any API call; a
 * histogram sample is one observation (CloudWatch keeps the statistics). Same names and labels as the
 * runner's `/metrics` (metrics.ts).
 */
import type { MetricDef, MetricSample, MetricsSink } from './metrics.js';
import { METRICS } from './metrics.js';

/** CloudWatch namespace of the reconciler's metrics. */
export const EMF_NAMESPACE = 'KluctlServerless';

/** CloudWatch accepts at most this many metrics in one EMF document. */
const MAX_METRICS_PER_DOCUMENT = 100;

/**
 * The EMF documents (one JSON line each) of `samples` taken at `timestamp`. Samples with the same
 * label names and values share a document; a metric repeated in a group keeps its last value for a
 * gauge and every observation (as a list) for a histogram.
 */
export function emfLines(samples: readonly MetricSample[], timestamp: Date): string[] {
  const groups = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const key = JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(s);
  }
  const lines: string[] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += MAX_METRICS_PER_DOCUMENT) {
      lines.push(emfDocument(group.slice(i, i + MAX_METRICS_PER_DOCUMENT), timestamp));
    }
  }
  return lines;
}

function emfDocument(samples: readonly MetricSample[], timestamp: Date): string {
  const labels = samples[0]!.labels;
  const values = new Map<string, number | number[]>();
  for (const s of samples) {
    const def: MetricDef = METRICS[s.name];
    const old = values.get(s.name);
    if (def.type === 'histogram' && old !== undefined) {
      values.set(s.name, [...(Array.isArray(old) ? old : [old]), s.value]);
    } else values.set(s.name, s.value);
  }
  const metrics = [...values.keys()].map((name) => ({
    Name: name,
    Unit: (METRICS[name as MetricSample['name']] as MetricDef).unit,
  }));
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp.getTime(),
      CloudWatchMetrics: [
        { Namespace: EMF_NAMESPACE, Dimensions: [Object.keys(labels).sort()], Metrics: metrics },
      ],
    },
    ...labels,
    ...Object.fromEntries(values),
  });
}

/** A sink that writes each reconcile's samples as EMF lines (the functions log them to stdout). */
export class EmfMetricsSink implements MetricsSink {
  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(samples: readonly MetricSample[]): void {
    for (const line of emfLines(samples, this.now())) this.write(line);
  }
}
