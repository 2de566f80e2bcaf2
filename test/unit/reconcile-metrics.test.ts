/**
 * The metrics of the reconciler (lib/reconcile/metrics.ts, reconcile-metrics.ts, emf.ts): Kluctl's
 * metric names and labels as its controller exposes them (checked against `kluctl controller run` in
 * test/parity/controller-drift.test.ts), the text exposition format as client_golang writes it, and the
 * same figures as CloudWatch EMF documents.
 */
import type { CommandResultSummary, KluctlDeployment } from '../../lib/api/types.js';
import { emfLines, EmfMetricsSink, EMF_NAMESPACE } from '../../lib/reconcile/emf.js';
import { formatFloat, MetricsRegistry } from '../../lib/reconcile/metrics.js';
import { reconcileSamples, specSamples } from '../../lib/reconcile/reconcile-metrics.js';

const kd = (spec: Record<string, unknown> = {}): KluctlDeployment =>
  ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: 'app', namespace: 'ns' },
    spec: { interval: '5m', source: { git: { url: 'https://git.example.com/repo.git' } }, ...spec },
  }) as KluctlDeployment;

const summary = {
  commandInfo: { command: 'deploy', startTime: '2026-12-06T01:05:11Z', endTime: '2026-12-06T01:05:12Z' },
  newObjects: 2,
  changedObjects: 1,
  deletedObjects: 0,
  orphanObjects: 3,
  errors: [{ ref: { kind: 'ConfigMap', name: 'x' }, message: 'e' }],
  warnings: null,
} as unknown as CommandResultSummary;

const ready = (reason: string, status: 'True' | 'False') => ({
  type: 'Ready',
  status,
  reason,
  message: '',
  lastTransitionTime: '2026-12-06T01:05:12Z',
});

describe('formatFloat (Go strconv g, shortest)', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [20, '20'],
    [0.802054492, '0.802054492'],
    [100000, '100000'],
    [1000000, '1e+06'],
    [1796519111, '1.796519111e+09'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [Infinity, '+Inf'],
  ])('%p -> %s', (v, s) => expect(formatFloat(v)).toBe(s));
});

describe('specSamples', () => {
  test("flags, interval and source as Kluctl's names and labels", () => {
    const samples = specSamples(
      kd({
        prune: true,
        dryRun: true,
        deployInterval: '1h',
        source: { git: { url: 'u', path: 'p', ref: { branch: 'b' } } },
      }),
    );
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['kluctldeployments_prune_enabled', { namespace: 'ns', name: 'app' }, 1],
      ['kluctldeployments_delete_enabled', { namespace: 'ns', name: 'app' }, 0],
      ['kluctldeployments_dry_run_enabled', { namespace: 'ns', name: 'app' }, 1],
      ['kluctldeployments_deployment_interval_seconds', { namespace: 'ns', name: 'app' }, 3600],
      [
        'kluctldeployments_source_spec',
        { namespace: 'ns', name: 'app', url: 'u', path: 'p', ref: 'refs/heads/b' },
        0,
      ],
    ]);
  });

  it.each([
    [{ git: { url: 'u', ref: { tag: 'v1' } } }, 'refs/tags/v1'],
    [{ git: { url: 'u', ref: { commit: 'abc' } } }, ''],
    [{ oci: { url: 'oci://r/p' } }, 'latest'],
    [{ oci: { url: 'oci://r/p', ref: { tag: 't', digest: 'sha256:1' } } }, 't@sha256:1'],
    [{ url: 'u', ref: { branch: 'm' } }, 'refs/heads/m'],
  ])('source %j has ref %p', (source, ref) => {
    const s = specSamples(kd({ source })).find((x) => x.name === 'kluctldeployments_source_spec');
    expect(s?.labels.ref).toBe(ref);
  });
});

describe('a reconcile rendered for /metrics', () => {
  test('a deploying reconcile', () => {
    const reg = new MetricsRegistry();
    reg.record(
      reconcileSamples({
        kd: kd(),
        ready: ready('DeployFailed', 'False'),
        lastDeployStart: '2026-12-06T01:05:11Z',
        deploy: { seconds: 0.8, summary },
        validateSeconds: 0.03,
        reconcileSeconds: 7.5,
      }),
    );
    const text = reg.render();
    const l = 'name="app",namespace="ns"';
    for (const line of [
      '# HELP kluctldeployments_number_of_errors Errors of the last command.',
      '# TYPE kluctldeployments_number_of_errors gauge',
      `kluctldeployments_number_of_errors{action="deploy",${l}} 1`,
      `kluctldeployments_number_of_warnings{action="deploy",${l}} 0`,
      `kluctldeployments_number_of_orphan_objects{${l}} 3`,
      `kluctldeployments_number_of_changed_objects{${l}} 1`,
      `kluctldeployments_last_object_status{${l}} 0`,
      `kluctldeployments_last_deploy_start_timestamp_seconds{${l}} 1.796519111e+09`,
      `kluctldeployments_deployment_duration_seconds_bucket{mode="full-deploy",${l},le="0.5"} 0`,
      `kluctldeployments_deployment_duration_seconds_bucket{mode="full-deploy",${l},le="1"} 1`,
      `kluctldeployments_deployment_duration_seconds_bucket{mode="full-deploy",${l},le="+Inf"} 1`,
      `kluctldeployments_deployment_duration_seconds_sum{mode="full-deploy",${l}} 0.8`,
      `kluctldeployments_deployment_duration_seconds_count{mode="full-deploy",${l}} 1`,
      `kluctldeployments_validate_duration_seconds_count{${l}} 1`,
      `kluctldeployments_source_spec{${l},path="",ref="",url="https://git.example.com/repo.git"} 0`,
      `gotk_reconcile_condition{kind="KluctlDeployment",${l},status="False",type="Ready"} 1`,
      `gotk_reconcile_condition{kind="KluctlDeployment",${l},status="True",type="Ready"} 0`,
      `gotk_reconcile_condition{kind="KluctlDeployment",${l},status="Deleted",type="Ready"} 0`,
      `gotk_suspend_status{kind="KluctlDeployment",${l}} 0`,
      `gotk_reconcile_duration_seconds_bucket{kind="KluctlDeployment",${l},le="8.309900738254731"} 1`,
    ])
      expect(text.split('\n')).toContain(line);
    // Families sorted by name, each with HELP and TYPE once.
    const families = text
      .split('\n')
      .filter((x) => x.startsWith('# TYPE'))
      .map((x) => x.split(' ')[2]);
    expect(families).toEqual([...families].sort());
    expect(new Set(families).size).toBe(families.length);
  });

  test('a succeeded reconcile without a deploy sets no command or duration figures', () => {
    const samples = reconcileSamples({
      kd: kd({ suspend: true }),
      ready: ready('ReconciliationSucceeded', 'True'),
      reconcileSeconds: 1,
    });
    const names = new Set(samples.map((s) => s.name));
    expect(names.has('kluctldeployments_number_of_errors')).toBe(false);
    expect(names.has('kluctldeployments_deployment_duration_seconds')).toBe(false);
    expect(samples.find((s) => s.name === 'kluctldeployments_last_object_status')?.value).toBe(1);
    expect(samples.find((s) => s.name === 'gotk_suspend_status')?.value).toBe(1);
  });

  test('a deleted deployment: only the toolkit metrics, condition Deleted', () => {
    const samples = reconcileSamples({ kd: kd(), deleting: true, reconcileSeconds: 1 });
    expect([...new Set(samples.map((s) => s.name))]).toEqual([
      'gotk_reconcile_condition',
      'gotk_suspend_status',
      'gotk_reconcile_duration_seconds',
    ]);
    expect(samples.find((s) => s.name === 'gotk_reconcile_condition' && s.value === 1)?.labels.status).toBe(
      'Deleted',
    );
  });

  test('label values are escaped', () => {
    const reg = new MetricsRegistry();
    reg.record(specSamples(kd({ source: { git: { url: 'a"b\\c' } } })));
    expect(reg.render()).toContain('url="a\\"b\\\\c"');
  });

  test('an empty registry renders nothing', () => {
    expect(new MetricsRegistry().render()).toBe('');
  });
});

/** An EMF document as the tests read it. */
interface EmfDoc {
  readonly _aws: { CloudWatchMetrics: { Metrics: unknown[] }[] };
  readonly [key: string]: unknown;
}

describe('EMF', () => {
  test('one document per label set, labels as dimensions, units from the definitions', () => {
    const samples = reconcileSamples({
      kd: kd(),
      ready: ready('ReconciliationSucceeded', 'True'),
      deploy: { seconds: 0.8, summary },
      reconcileSeconds: 2,
    });
    const docs = emfLines(samples, new Date(1_700_000_000_000)).map((l) => JSON.parse(l) as EmfDoc);
    const main = docs.find((d) => d.kluctldeployments_last_object_status !== undefined)!;
    expect(main._aws).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: EMF_NAMESPACE,
          Dimensions: [['name', 'namespace']],
          Metrics: expect.arrayContaining([
            { Name: 'kluctldeployments_last_object_status', Unit: 'None' },
            { Name: 'kluctldeployments_number_of_orphan_objects', Unit: 'None' },
          ]),
        },
      ],
    });
    expect(main).toMatchObject({ namespace: 'ns', name: 'app', kluctldeployments_last_object_status: 1 });
    const deploy = docs.find((d) => d.mode === 'full-deploy')!;
    expect(deploy).toMatchObject({ kluctldeployments_deployment_duration_seconds: 0.8 });
    expect(deploy._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: 'kluctldeployments_deployment_duration_seconds', Unit: 'Seconds' },
    ]);
    // Every sample is in exactly one document.
    const count = docs.reduce((n, d) => n + d._aws.CloudWatchMetrics[0]!.Metrics.length, 0);
    expect(count).toBe(new Set(samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`)).size);
  });

  test('the sink writes one line per document', () => {
    const lines: string[] = [];
    new EmfMetricsSink(
      (l) => lines.push(l),
      () => new Date(0),
    ).record(specSamples(kd()));
    expect(lines).toHaveLength(2); // namespace/name, and the source_spec labels
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });
});
