/** The runner endpoint's `--listen` parsing and the Prometheus text of its metrics. */
import { parseListen } from '../../lib/runner/runner-http.js';
import { RunnerMetrics } from '../../lib/runner/runner-metrics.js';

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
  ])('%s', (value, want) => expect(parseListen(value)).toEqual(want));

  it.each(['8080', '127.0.0.1', '127.0.0.1:', ':8080', '127.0.0.1:65536', 'host:80x', '::1:80'])(
    'refuses %j naming the flag and the form',
    (value) => expect(() => parseListen(value)).toThrow(`invalid --listen '${value}': expected host:port`),
  );
});

describe('RunnerMetrics', () => {
  it('renders counters, a cumulative histogram and the gauges', () => {
    const m = new RunnerMetrics();
    m.reconciled('succeeded', 0.3);
    m.reconciled('succeeded', 4);
    m.reconciled('failed', 700);
    m.webhook('github', 202);
    m.webhook('github', 202);
    m.webhook('gitlab', 401);
    const text = m.render({
      queueDepth: 2,
      running: 1,
      deployments: 5,
      watching: true,
      lastTickMs: 1_700_000_000_500,
    });
    const lines = text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE kluctl_serverless_reconciles_total counter',
        'kluctl_serverless_reconciles_total{outcome="failed"} 1',
        'kluctl_serverless_reconciles_total{outcome="succeeded"} 2',
        '# TYPE kluctl_serverless_reconcile_duration_seconds histogram',
        'kluctl_serverless_reconcile_duration_seconds_bucket{le="0.25"} 0',
        'kluctl_serverless_reconcile_duration_seconds_bucket{le="0.5"} 1',
        'kluctl_serverless_reconcile_duration_seconds_bucket{le="5"} 2',
        'kluctl_serverless_reconcile_duration_seconds_bucket{le="600"} 2',
        'kluctl_serverless_reconcile_duration_seconds_bucket{le="+Inf"} 3',
        'kluctl_serverless_reconcile_duration_seconds_sum 704.3',
        'kluctl_serverless_reconcile_duration_seconds_count 3',
        'kluctl_serverless_queue_depth 2',
        'kluctl_serverless_reconciles_running 1',
        'kluctl_serverless_deployments 5',
        'kluctl_serverless_watching 1',
        'kluctl_serverless_last_tick_timestamp_seconds 1700000000.5',
        'kluctl_serverless_webhook_requests_total{provider="github",status="202"} 2',
        'kluctl_serverless_webhook_requests_total{provider="gitlab",status="401"} 1',
      ]),
    );
    // Every sample line belongs to a family declared before it.
    const declared = new Set<string>();
    for (const l of lines.filter((x) => x !== '')) {
      const type = /^# TYPE (\S+) /.exec(l);
      if (type) declared.add(type[1]!);
      else if (!l.startsWith('#')) {
        const name = /^[a-z_]+/.exec(l)![0].replace(/_(bucket|sum|count)$/, '');
        expect(declared).toContain(name);
      }
    }
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves out the last tick before the first pass', () => {
    const text = new RunnerMetrics().render({ queueDepth: 0, running: 0, deployments: 0, watching: false });
    expect(text).not.toContain('last_tick');
    expect(text).toContain('kluctl_serverless_watching 0');
  });
});
