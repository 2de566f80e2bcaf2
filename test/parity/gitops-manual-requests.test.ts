/**
 * Kluctl's e2e TestManualRequests (e2e/gitops_manual_requests_test.go), with the real Kluctl v2.28.2
 * CLI as the client of both Kluctl's controller and our local runner: every `kluctl gitops
 * diff|deploy|prune|validate|resume|suspend|reconcile` completes against ours and prints what it prints
 * against Kluctl's, and status and objects agree after every step.
 */
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeObject } from '../../lib/ports.js';
import { decodeResultData } from '../../lib/results/kluctl-result-format.js';
import { sleep } from '../../devenv/processes.js';
import { eventually, kubectlJson, kubectlTest } from '../support/test-env.js';
import { expectSameCli, GitopsSides } from './gitops-sides.js';
import type { Side } from './gitops-sides.js';
import { requestsProject } from './requests-project.js';
import type { ConfigMapItem } from './requests-project.js';

const STEP_MS = 300_000;
const TARGETS = [{ name: 'target1' }];
const cm1 = (k: string): ConfigMapItem => ({ dir: 'd1', name: 'cm1', data: { k } });
const d2: ConfigMapItem = { dir: 'd2', name: 'cm2' };

let sides: GitopsSides;

beforeAll(async () => {
  sides = await GitopsSides.start('requests');
  await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v1')]), 'initial');
  await sides.createDeployment({ interval: '5s', timeout: '300s', target: 'target1' });
}, STEP_MS);

afterAll(async () => {
  await sides?.stop();
});

/** What the e2e test and a user look at, comparable across the sides. */
async function observe(side: Side) {
  const kd = await sides.get(side);
  const st = kd.status ?? {};
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const request = (rr: NonNullable<KluctlDeployment['status']>['deployRequestResult']) =>
    rr && { done: rr.endTime !== undefined, resultId: !!rr.resultId, commandError: rr.commandError };
  const d = st.lastDeployResult;
  return {
    ready: ready && { status: ready.status, reason: ready.reason, message: ready.message },
    observedGeneration: st.observedGeneration === kd.metadata.generation,
    diffRequest: request(st.diffRequestResult),
    deployRequest: request(st.deployRequestResult),
    pruneRequest: request(st.pruneRequestResult),
    validateRequest: request(st.validateRequestResult),
    reconcileRequest: request(st.reconcileRequestResult),
    lastDeployResult: d && {
      command: d.commandInfo.command,
      new: d.newObjects,
      changed: d.changedObjects,
      orphan: d.orphanObjects,
      deleted: d.deletedObjects,
    },
    lastValidateResult: st.lastValidateResult && {
      ready: st.lastValidateResult.ready,
      errors: st.lastValidateResult.errors?.length ?? 0,
    },
    configMaps: await sides.configMaps(side),
  };
}

/** Waits until both sides are idle, then compares them; returns ours. */
async function compare() {
  await sides.settled();
  const [k, o] = await Promise.all([observe(sides.kluctl), observe(sides.ours)]);
  expect(o).toEqual(k);
  return o;
}

/** The ids of the result Secrets of one side's deployment, of one kind. */
async function resultSecretsOf(side: Side, kind: 'command' | 'validate'): Promise<string[]> {
  const label = `kluctl.io/${kind}-result-id`;
  const l = await kubectlJson<{
    items: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } }[];
  }>(['get', 'secrets', '-n', 'kluctl-results', '-l', label]);
  return l.items
    .filter((s) => s.metadata.annotations['kluctl.io/result-deployment-namespace'] === side.gitopsNs)
    .map((s) => s.metadata.labels[label]!);
}

/**
 * The shape of the result Secret of the side's last deploy request: what differs by nature (ids,
 * names, times, hashes) masked, keys sorted. Kluctl's `deployment` (the project's deployment items)
 * is left out: ours has none (see the report of issue 11).
 */
async function resultShape(side: Side) {
  const kd = await sides.get(side);
  const id = kd.status!.deployRequestResult!.resultId!;
  const [secret] = await kubectlJson<{ items: KubeObject[] }>([
    'get',
    'secrets',
    '-n',
    'kluctl-results',
    '-l',
    `kluctl.io/command-result-id=${id}`,
  ]).then((l) => l.items);
  const keys = (o: object | undefined) => Object.keys(o ?? {}).sort();
  const summary = JSON.parse(secret!.metadata.annotations!['kluctl.io/command-result-summary']!);
  const { deployment: _notOurs, ...reduced } = decodeResultData(secret!, 'reducedResult') as Record<
    string,
    unknown
  >;
  const compacted = decodeResultData(secret!, 'compactedObjects') as Record<string, unknown>[];
  return {
    name: secret!.metadata.name.replace(id, 'ID').replace(/^cr-[a-z0-9-]+-ID$/, 'cr-REPO-ID'),
    labels: { ...secret!.metadata.labels, 'kluctl.io/command-result-id': 'ID' },
    annotations: keys(secret!.metadata.annotations),
    dataKeys: keys((secret as { data?: object }).data),
    summaryKeys: keys(summary),
    summary: pick(summary, [
      'newObjects',
      'changedObjects',
      'orphanObjects',
      'deletedObjects',
      'errors',
      'warnings',
    ]),
    commandInfo: summary.commandInfo && { ...summary.commandInfo, startTime: 'T', endTime: 'T' },
    reducedKeys: keys(reduced),
    reducedObjects: (reduced.objects as Record<string, unknown>[]).map((o) => ({ ...o, ref: 'REF' })).length,
    // Kluctl orders objects of one kind in Go map order (a new one each run): compare as a set.
    compactedKeys: compacted.map((o) => keys(o).join(',')).sort(),
  };
}

function pick(o: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((n) => [n, o[n]]));
}

async function bothHaveCm1(): Promise<void> {
  await eventually(
    async () => {
      for (const s of sides.both) expect(await sides.configMaps(s)).toHaveProperty('cm1');
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

async function deleteCm1(): Promise<void> {
  await Promise.all(
    sides.both.map((s) => kubectlTest(['delete', 'configmap', 'cm1', '-n', s.slug, '--wait=false'])),
  );
}

test(
  'TestManualRequests: initial deployment, then suspended',
  async () => {
    await sides.waitForReconcile();
    await sides.settled((kd) => kd.status?.lastDeployResult !== undefined);
    expect((await compare()).configMaps).toEqual({ cm1: { k: 'v1' } });
    await sides.patchSpec({ suspend: true, deployInterval: '2s' });
    await sides.waitForReconcile();
    await compare();
  },
  STEP_MS,
);

test(
  'TestManualRequests: gitops diff with no changes, then with changes (nothing deployed)',
  async () => {
    expectSameCli(await sides.gitops(['diff']));
    let o = await compare();
    expect(o.diffRequest).toEqual({ done: true, resultId: true, commandError: undefined });
    // The CLI deleted the diff result it printed and cleared lastDiffResult: our Secret was where it
    // looked. (Kluctl's controller sometimes sets lastDiffResult again after the CLI cleared it.)
    const st = (await sides.get(sides.ours)).status;
    expect(st?.lastDiffResult).toBeUndefined();
    expect(await resultSecretsOf(sides.ours, 'command')).not.toContain(st?.diffRequestResult?.resultId);

    await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v2'), d2]), 'v2 and d2');
    const out = expectSameCli(await sides.gitops(['diff']));
    expect(out.stdout).toContain('New objects:\n  SLUG/ConfigMap/cm2');
    expect(out.stdout).toContain('Changed objects:\n  SLUG/ConfigMap/cm1');
    o = await compare();
    expect(o.configMaps).toEqual({ cm1: { k: 'v1' } });
  },
  STEP_MS,
);

test(
  'TestManualRequests: gitops deploy with changes, then without',
  async () => {
    const out = expectSameCli(await sides.gitops(['deploy']));
    expect(out.stdout).toContain('Diff for object SLUG/ConfigMap/cm1');
    await sides.settled();
    let o = await compare();
    expect(o.configMaps).toEqual({ cm1: { k: 'v2' }, cm2: {} });
    expect(o.lastDeployResult).toEqual({ command: 'deploy', new: 1, changed: 1, orphan: 0, deleted: 0 });

    // The result Secret has Kluctl's shape: name, labels, annotations, data and the JSON inside.
    const [k, ours] = await Promise.all(sides.both.map((side) => resultShape(side)));
    expect(ours).toEqual(k);

    expect(expectSameCli(await sides.gitops(['deploy'])).stdout).toBe('');
    await sides.settled();
    o = await compare();
    expect(o.deployRequest).toEqual({ done: true, resultId: true, commandError: undefined });
  },
  STEP_MS,
);

test(
  'TestManualRequests: gitops prune without and with orphans',
  async () => {
    expectSameCli(await sides.gitops(['prune']));
    await sides.settled();
    await compare();

    await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v2')], [d2]), 'no d2');
    const out = expectSameCli(await sides.gitops(['prune']));
    expect(out.stdout).toContain('Deleted objects:\n  SLUG/ConfigMap/cm2');
    await sides.settled();
    const o = await compare();
    expect(o.lastDeployResult).toEqual({ command: 'prune', new: 0, changed: 0, orphan: 0, deleted: 1 });
    expect(o.configMaps).toEqual({ cm1: { k: 'v2' } });
  },
  STEP_MS,
);

test(
  'TestManualRequests: gitops validate without and with errors',
  async () => {
    const ok = expectSameCli(await sides.gitops(['validate']));
    expect(ok.stderr).toContain('Validation succeeded');
    await sides.settled();
    await compare();

    await deleteCm1();
    const bad = expectSameCli(await sides.gitops(['validate']));
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toContain('SLUG/ConfigMap/cm1: object not found');
    expect(bad.stderr).toContain('Validation failed');
    await sides.settled();
    const o = await compare();
    expect(o.validateRequest?.commandError).toBe('validate failed with 1 errors.');
    expect(o.ready?.reason).toBe('ValidateFailed');
  },
  STEP_MS,
);

test(
  'TestManualRequests: resume redeploys (and deployInterval 2s repairs), suspend stops it',
  async () => {
    expectSameCli(await sides.gitops(['resume']));
    await bothHaveCm1();
    // deployInterval is 2s: a deleted object comes back without any change in Git.
    await deleteCm1();
    await bothHaveCm1();

    expectSameCli(await sides.gitops(['suspend']));
    await deleteCm1();
    await sleep(5000);
    await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v3')], [d2]), 'v3');
    await sleep(5000);
    for (const s of sides.both) expect(await sides.configMaps(s)).toEqual({});
  },
  STEP_MS,
);

test(
  'TestManualRequests: gitops reconcile runs although suspended',
  async () => {
    expectSameCli(await sides.gitops(['reconcile']));
    await sides.settled();
    const o = await compare();
    expect(o.reconcileRequest).toEqual({ done: true, resultId: false, commandError: undefined });
    expect(o.configMaps).toEqual({ cm1: { k: 'v3' } });
    // Kluctl's retention: the newest 5 command and 2 validate results of the project and target.
    expect(await resultSecretsOf(sides.ours, 'command')).toHaveLength(5);
    expect(await resultSecretsOf(sides.ours, 'validate')).toHaveLength(2);
  },
  STEP_MS,
);
