/**
 * Our `kluctl-serverless gitops deploy|diff|prune|validate` next to the real Kluctl v2.28.2
 * `kluctl gitops ...`, both as clients of our local runner (the setup of test/parity/gitops-sides.ts).
 * Two KluctlDeployments in our runner's namespace stand in the same state: `kd` (driven by our CLI)
 * deploys the "ours" side's repository into its slug, `kdk` (driven by Kluctl's CLI) the "kluctl"
 * side's repository into its own. Every step runs on both at once and must print the same stdout
 * (slugs normalized, objects in canonical order) and exit alike; YAML output is compared as data with
 * ids, times and object bodies masked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readYaml } from '../../lib/util/yaml.js';
import { cli } from '../support/cli.js';
import { applyKluctlDeployment } from '../support/kluctl-deployment.js';
import { kubectlTest, testEnv } from '../support/test-env.js';
import { canonicalOrder, GitopsSides } from './gitops-sides.js';
import type { Side } from './gitops-sides.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { requestsProject } from './requests-project.js';
import type { ConfigMapItem } from './requests-project.js';

const STEP_MS = 300_000;
const TARGETS = [{ name: 'target1' }];
const cm1 = (k: string): ConfigMapItem => ({ dir: 'd1', name: 'cm1', data: { k } });
const d2: ConfigMapItem = { dir: 'd2', name: 'cm2' };

let sides: GitopsSides;
let cwd: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

beforeAll(async () => {
  sides = await GitopsSides.start('gcli');
  cwd = await mkdtemp(join(tmpdir(), 'ks-gitops-cli-parity-'));
  await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v1')]), 'initial');
  // Both deployments live in our runner's namespace; suspended, so only requests act.
  const ns = sides.ours.gitopsNs;
  for (const [name, side] of [
    ['kd', sides.ours],
    ['kdk', sides.kluctl],
  ] as const) {
    await applyKluctlDeployment(ns, name, {
      interval: '1h',
      timeout: '300s',
      target: 'target1',
      suspend: true,
      source: { git: { url: side.repo!.url } },
    });
  }
}, STEP_MS);

afterAll(async () => {
  await sides?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

function normalize(side: Side, text: string): string {
  return text.split(side.slug).join('SLUG');
}

/** `kluctl gitops <args>` (Kluctl's CLI) for `kdk`, and ours for `kd`, at once. */
async function both(args: readonly string[]): Promise<{ kluctl: Run; ours: Run }> {
  const kc = testEnv().kubeconfigPath;
  const ns = sides.ours.gitopsNs;
  const common = ['--kubeconfig', kc, '--context', 'default', '--namespace', ns];
  const [k, o] = await Promise.all([
    runKluctl(['gitops', ...args, ...common, '--name', 'kdk', '--controller-namespace', `${ns}-system`], {
      cwd,
      timeoutMs: 240_000,
    }),
    cli(['gitops', ...args, ...common, '--name', 'kd']),
  ]);
  const norm = (side: Side, r: Run): Run => ({
    code: r.code,
    stdout: normalize(side, r.stdout),
    stderr: normalize(side, r.stderr),
  });
  return { kluctl: norm(sides.kluctl, k), ours: norm(sides.ours, o) };
}

/** Same exit code and the same stdout; returns ours. */
function expectSame(r: { kluctl: Run; ours: Run }): Run {
  expect({ code: r.ours.code, stdout: canonicalOrder(r.ours.stdout) }).toEqual({
    code: r.kluctl.code,
    stdout: canonicalOrder(r.kluctl.stdout),
  });
  return r.ours;
}

/** A result document with what differs by nature masked and the object bodies left out. */
function masked(yaml: string): unknown {
  const mask = (v: unknown, key = ''): unknown => {
    if (Array.isArray(v)) return v.map((x) => mask(x));
    if (typeof v === 'object' && v !== null) {
      return Object.fromEntries(
        Object.entries(v)
          .filter(([k]) => !['rendered', 'remote', 'applied'].includes(k))
          .map(([k, x]) => [k, mask(x, k)]),
      );
    }
    if (
      typeof v === 'string' &&
      /^(id|reconcileId|startTime|endTime|clusterId|commit|renderedObjectsHash|requestValue)$/.test(key)
    ) {
      return 'MASKED';
    }
    if (key === 'name' && (v === 'kd' || v === 'kdk')) return 'KD';
    return typeof v === 'string' ? v.replace(/gcli-[a-z]-[a-z0-9-]+/g, 'NS') : v;
  };
  return mask(readYaml(yaml, 'result'));
}

async function deleteCm1(): Promise<void> {
  await Promise.all(
    sides.both.map((s) => kubectlTest(['delete', 'configmap', 'cm1', '-n', s.slug, '--wait=false'])),
  );
}

test(
  'gitops diff and deploy --dry-run print the same as Kluctl; -o yaml has the same document',
  async () => {
    const diff = expectSame(await both(['diff']));
    expect(diff.stdout).toBe('\nNew objects:\n  SLUG/ConfigMap/cm1\n');
    expectSame(await both(['deploy', '--dry-run']));
    const yaml = await both(['deploy', '--dry-run', '-o', 'yaml']);
    expect(yaml.ours.code).toBe(yaml.kluctl.code);
    expect(masked(yaml.ours.stdout)).toEqual(masked(yaml.kluctl.stdout));
  },
  STEP_MS,
);

test(
  'gitops deploy prints the same as Kluctl, with changes and without',
  async () => {
    const first = expectSame(await both(['deploy']));
    expect(first.stdout).toContain('New objects:\n  SLUG/ConfigMap/cm1');
    await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v2'), d2]), 'v2 and d2');
    expectSame(await both(['diff']));
    const changed = expectSame(await both(['deploy']));
    expect(changed.stdout).toContain('Diff for object SLUG/ConfigMap/cm1');
    expect(expectSame(await both(['deploy', '--short-output'])).stdout).toBe('');
  },
  STEP_MS,
);

test(
  'gitops prune prints the same as Kluctl',
  async () => {
    await sides.commit((slug) => requestsProject(slug, TARGETS, [cm1('v2')], [d2]), 'no d2');
    const out = expectSame(await both(['prune']));
    expect(out.stdout).toContain('Deleted objects:\n  SLUG/ConfigMap/cm2');
  },
  STEP_MS,
);

test(
  'gitops validate prints and exits as Kluctl, passing and failing; -o yaml has the same document',
  async () => {
    const ok = await both(['validate']);
    expectSame(ok);
    expect(ok.kluctl.stderr).toContain('Validation succeeded');
    expect(ok.ours.stderr).toContain('Validation succeeded');
    await deleteCm1();
    const bad = await both(['validate']);
    expectSame(bad);
    expect(bad.ours.code).not.toBe(0);
    expect(bad.ours.stdout).toContain('SLUG/ConfigMap/cm1: object not found');
    expect(bad.ours.stderr).toContain('Validation failed');
    const yaml = await both(['validate', '-o', 'yaml']);
    expect(yaml.ours.code).toBe(yaml.kluctl.code);
    expect(masked(yaml.ours.stdout)).toEqual(masked(yaml.kluctl.stdout));
  },
  STEP_MS,
);
