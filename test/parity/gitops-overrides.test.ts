/**
 * Kluctl's e2e TestOverrides (e2e/gitops_manual_requests_test.go): `kluctl gitops deploy|reconcile`
 * with `--dry-run`, `-a`, `--prune`, `-I`, `-E` and `--target` become the request's `overridesPatch`,
 * applied to the spec for that run only. The real Kluctl v2.28.2 CLI drives Kluctl's controller and our
 * runner side by side; what it prints, the results and the objects must agree after every step.
 */
import { eventually, kubectlJson } from '../support/test-env.js';
import { expectSameCli, GitopsSides } from './gitops-sides.js';
import type { CliRun, Side } from './gitops-sides.js';
import { requestsProject } from './requests-project.js';
import type { ConfigMapItem, ProjectTarget } from './requests-project.js';

const STEP_MS = 300_000;

let sides: GitopsSides;
let targets: ProjectTarget[] = [{ name: 'target1' }];
let items: ConfigMapItem[] = [];
let removed: ConfigMapItem[] = [];

const cm1 = (data: Record<string, string>): ConfigMapItem => ({
  dir: 'd1',
  name: 'cm1',
  data: { k2: '{{ args.a }}', k3: '{{ get_var("args.b", "na") }}', ...data },
});
const d2: ConfigMapItem = { dir: 'd2', name: 'cm2' };
const d3: ConfigMapItem = { dir: 'd3', name: 'cm3' };

async function commit(message: string): Promise<void> {
  await sides.commit((slug) => requestsProject(slug, targets, items, removed), message);
}

beforeAll(async () => {
  sides = await GitopsSides.start('overrides');
  items = [cm1({ k1: 'v1' })];
  await commit('initial');
  await sides.createDeployment({ interval: '5s', timeout: '300s', target: 'target1', args: { a: 'v1' } });
}, STEP_MS);

afterAll(async () => {
  await sides?.stop();
});

/** Both runs succeeded and printed the same. */
function expectSucceeded(runs: [CliRun, CliRun]): CliRun {
  const o = expectSameCli(runs);
  expect(o.code).toBe(0);
  return o;
}

/** ConfigMaps of the side: name → data and discriminator (the slug replaced). */
async function objects(side: Side) {
  const l = await kubectlJson<{
    items: { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> }[];
  }>(['get', 'configmaps', '-n', side.slug, '-l', 'kluctl.io/discriminator']);
  return Object.fromEntries(
    l.items.map((i) => [
      i.metadata.name,
      {
        data: i.data ?? {},
        discriminator: i.metadata.labels?.['kluctl.io/discriminator']?.replace(side.slug, 'SLUG'),
      },
    ]),
  );
}

/** The deploy request's result as the e2e test reads it, the objects and Ready; compared across sides. */
async function compare() {
  await sides.settled();
  const observe = async (side: Side) => {
    const st = (await sides.get(side)).status ?? {};
    const d = st.lastDeployResult;
    const ready = st.conditions?.find((c) => c.type === 'Ready');
    return {
      deployRequest: st.deployRequestResult && {
        resultId: !!st.deployRequestResult.resultId,
        commandError: st.deployRequestResult.commandError,
        overridesPatch: st.deployRequestResult.request.overridesPatch,
      },
      lastDeployResult: d && {
        new: d.newObjects,
        changed: d.changedObjects,
        orphan: d.orphanObjects,
        deleted: d.deletedObjects,
        dryRun: d.commandInfo.dryRun ?? false,
      },
      ready: ready && { status: ready.status, reason: ready.reason, message: ready.message },
      objects: await objects(side),
    };
  };
  const [k, o] = await Promise.all([observe(sides.kluctl), observe(sides.ours)]);
  expect(o).toEqual(k);
  return o;
}

test(
  'TestOverrides: initial deployment, then suspended',
  async () => {
    await sides.waitForReconcile();
    await eventually(async () => expect(Object.keys(await objects(sides.ours))).toEqual(['cm1']), {
      timeoutMs: 60_000,
    });
    const o = await compare();
    expect(o.objects.cm1?.data).toEqual({ k1: 'v1', k2: 'v1', k3: 'na' });
    await sides.patchSpec({ suspend: true });
  },
  STEP_MS,
);

test(
  'TestOverrides: deploy with dry-run',
  async () => {
    items = [cm1({ k1: 'v2' }), d2];
    await commit('v2 and d2');
    expectSucceeded(await sides.gitops(['deploy', '--dry-run']));
    let o = await compare();
    // The result pretends the changes, nothing changed in reality.
    expect(o.lastDeployResult).toEqual({ new: 1, changed: 1, orphan: 0, deleted: 0, dryRun: true });
    expect(o.deployRequest?.overridesPatch).toEqual({ spec: { dryRun: true } });
    expect(o.objects.cm1?.data.k1).toBe('v1');

    // Now the other way round: the spec is a dry run, the request is not.
    await sides.patchSpec({ dryRun: true });
    await sides.waitForReconcile();
    expectSucceeded(await sides.gitops(['deploy', '--dry-run=false']));
    o = await compare();
    expect(o.lastDeployResult).toEqual({ new: 1, changed: 1, orphan: 0, deleted: 0, dryRun: false });
    expect(o.objects.cm1?.data.k1).toBe('v2');
    expect(Object.keys(o.objects).sort()).toEqual(['cm1', 'cm2']);
    await sides.patchSpec({ dryRun: false });
    await sides.waitForReconcile();
  },
  STEP_MS,
);

test(
  'TestOverrides: deploy with overridden args',
  async () => {
    expectSucceeded(await sides.gitops(['deploy', '-a', 'a=via_arg']));
    const o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 0, changed: 1, orphan: 0, deleted: 0 });
    expect(o.objects.cm1?.data.k2).toBe('via_arg');
    expectSucceeded(await sides.gitops(['deploy']));
    expect((await compare()).objects.cm1?.data.k2).toBe('v1');
  },
  STEP_MS,
);

test(
  'TestOverrides: deploy with overridden prune',
  async () => {
    items = [cm1({ k1: 'v2' })];
    removed = [d2];
    await commit('no d2');
    await sides.patchSpec({ prune: true });
    expectSucceeded(await sides.gitops(['reconcile', '--prune=false']));
    expectSucceeded(await sides.gitops(['deploy', '--prune=false']));
    let o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 0, changed: 0, orphan: 1, deleted: 0 });
    expect(o.objects).toHaveProperty('cm2');

    await sides.patchSpec({ prune: false });
    expectSucceeded(await sides.gitops(['reconcile']));
    expectSucceeded(await sides.gitops(['deploy', '--prune']));
    o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 0, changed: 0, orphan: 0, deleted: 1 });
    expect(o.objects).not.toHaveProperty('cm2');
  },
  STEP_MS,
);

test(
  'TestOverrides: deploy with overridden inclusion and exclusion',
  async () => {
    items = [cm1({ k1: 'v2', k4: 'v1' }), d3];
    removed = [];
    await commit('k4 and d3');
    expectSucceeded(await sides.gitops(['deploy', '-I', 'd1']));
    let o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 0, changed: 1, orphan: 0, deleted: 0 });
    expect(o.objects).not.toHaveProperty('cm3');

    expectSucceeded(await sides.gitops(['deploy', '-E', 'd1']));
    o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 1, changed: 0, orphan: 0, deleted: 0 });
    expect(o.objects).toHaveProperty('cm3');
  },
  STEP_MS,
);

test(
  'TestOverrides: deploy with overridden target',
  async () => {
    targets = [{ name: 'target1' }, { name: 'target2', args: { b: 'via_target' } }];
    await commit('target2');
    expectSucceeded(await sides.gitops(['deploy']));
    expect((await compare()).objects.cm1?.data.k3).toBe('na');

    expectSucceeded(await sides.gitops(['deploy', '--target', 'target2']));
    const o = await compare();
    expect(o.lastDeployResult).toMatchObject({ new: 0, changed: 2, orphan: 0, deleted: 0 });
    expect(o.objects.cm1).toEqual({
      data: { k1: 'v2', k2: 'v1', k3: 'via_target', k4: 'v1' },
      discriminator: 'SLUG-target2',
    });
    expect(o.objects.cm3?.discriminator).toBe('SLUG-target2');
  },
  STEP_MS,
);
