/**
 * The local runner's metrics in Prometheus' text exposition format (version 0.0.4), served on
 * `/metrics`: reconciles by outcome, their durations as a histogram, what waits and what runs, the
 * time of the last scheduling pass, and webhook requests by provider and status. Kept in process; no
 * client library, the format is a few lines.
 */

/** Upper bounds (seconds) of the reconcile duration histogram. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const;

/** What the runner reports at scrape time (gauges read from its state). */
export interface RunnerGauges {
  /** Deployments waiting for a reconcile (due or requested, not yet started). */
  readonly queueDepth: number;
  readonly running: number;
  /** KluctlDeployments the runner knows of. */
  readonly deployments: number;
  /** Epoch ms of the last scheduling pass; undefined before the first. */
  readonly lastTickMs?: number;
  /** Whether the watch is up (1) or the runner lists on its tick instead (0). */
  readonly watching: boolean;
}

/** Counters and the histogram, updated by the runner and the webhook endpoint. */
export class RunnerMetrics {
  private readonly outcomes = new Map<string, number>();
  private readonly buckets = DURATION_BUCKETS.map(() => 0);
  private durationSum = 0;
  private durationCount = 0;
  private readonly webhooks = new Map<string, number>();

  /** Records one finished reconcile. */
  reconciled(outcome: string, seconds: number): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    DURATION_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.buckets[i]!++;
    });
    this.durationSum += seconds;
    this.durationCount++;
  }

  /** Records one webhook request. */
  webhook(provider: string, status: number): void {
    const key = `${provider}\u0000${status}`;
    this.webhooks.set(key, (this.webhooks.get(key) ?? 0) + 1);
  }

  /** The exposition text. */
  render(g: RunnerGauges): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family('kluctl_serverless_reconciles_total', 'counter', 'Reconciles finished, by outcome.');
    for (const [outcome, n] of [...this.outcomes].sort()) {
      lines.push(`kluctl_serverless_reconciles_total{outcome="${escapeLabel(outcome)}"} ${n}`);
    }
    family('kluctl_serverless_reconcile_duration_seconds', 'histogram', 'Time a reconcile took.');
    DURATION_BUCKETS.forEach((le, i) => {
      lines.push(`kluctl_serverless_reconcile_duration_seconds_bucket{le="${le}"} ${this.buckets[i]}`);
    });
    lines.push(`kluctl_serverless_reconcile_duration_seconds_bucket{le="+Inf"} ${this.durationCount}`);
    lines.push(`kluctl_serverless_reconcile_duration_seconds_sum ${this.durationSum}`);
    lines.push(`kluctl_serverless_reconcile_duration_seconds_count ${this.durationCount}`);
    family('kluctl_serverless_queue_depth', 'gauge', 'Deployments due or requested, waiting to start.');
    lines.push(`kluctl_serverless_queue_depth ${g.queueDepth}`);
    family('kluctl_serverless_reconciles_running', 'gauge', 'Reconciles running now.');
    lines.push(`kluctl_serverless_reconciles_running ${g.running}`);
    family('kluctl_serverless_deployments', 'gauge', 'KluctlDeployments known to the runner.');
    lines.push(`kluctl_serverless_deployments ${g.deployments}`);
    family('kluctl_serverless_watching', 'gauge', '1 while the watch is up, 0 while listing on the tick.');
    lines.push(`kluctl_serverless_watching ${g.watching ? 1 : 0}`);
    if (g.lastTickMs !== undefined) {
      family('kluctl_serverless_last_tick_timestamp_seconds', 'gauge', 'Time of the last scheduling pass.');
      lines.push(`kluctl_serverless_last_tick_timestamp_seconds ${g.lastTickMs / 1000}`);
    }
    family(
      'kluctl_serverless_webhook_requests_total',
      'counter',
      'Webhook requests, by provider and status.',
    );
    for (const [key, n] of [...this.webhooks].sort()) {
      const [provider, status] = key.split('\u0000');
      lines.push(
        `kluctl_serverless_webhook_requests_total{provider="${escapeLabel(provider!)}",status="${status}"} ${n}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }
}

/** Escapes a label value as the exposition format requires. */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
