/**
 * Deploy parity: the same projects deployed with the real `kluctl deploy -y` (v2.28.2) and with ours
 * (`kluctl-serverless deploy -y`), each into its own namespace (the `namespace` arg), on the same test
 * cluster. Compared: what lands (labels, annotations, and the `kluctl` field manager's managedFields:
 * operation, API version and owned fields), the command result (object flags and counts, errors,
 * warnings, command info, target, keys, git info) and, on a project with an object per readiness rule,
 * the `validate` result once the cluster settled. Kluctl's readiness messages are spelled out at the end.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cli } from '../support/cli.js';
import { git } from '../../devenv/git-repo.js';
import { createTestNamespace, eventually, kubectlJson, testEnv } from '../support/test-env.js';
import {
  deployErrorsProject,
  deployment,
  deploymentYml,
  goodProject,
  pruneProject,
} from './controller-projects.js';
import { readinessProject, READY_OBJECTS } from './readiness-project.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { normalizeValue } from './status-compare.js';
import type { Placeholders } from './status-compare.js';
import { writeFiles } from '../support/files.js';

const TIMEOUT = 600_000;

type Side = 'kluctl' | 'ours';
type Result = Record<string, unknown>;
interface ResultObject {
  ref: { group?: string; version?: string; kind: string; name: string; namespace?: string };
  new?: boolean;
  orphan?: boolean;
  deleted?: boolean;
  hook?: boolean;
  changes?: unknown[];
  rendered?: unknown;
  remote?: unknown;
  applied?: unknown;
}

let work: string;
const projects = new Map<string, string>();
const namespaces = new Map<string, Record<Side, string>>();

beforeAll(async () => {
  work = await mkdtemp(join(testEnv().runDir, 'deploy-parity-'));
  const hook = (name: string) =>
    deployment(name).replace('metadata:\n', 'metadata:\n  annotations:\n    kluctl.io/hook: post-deploy\n');
  const sources: Record<string, Record<string, string>> = {
    good: { ...goodProject('parity-dp-good'), 'app/hook.yaml': hook('post-hook') },
    readiness: readinessProject(),
    errors: {
      ...deployErrorsProject('parity-dp-errors'),
      // Waiting for an object whose kind the cluster does not serve.
      'deployment.yml': `${deploymentYml(['good', 'bad'])}  - barrier: true
    waitReadinessObjects:
      - {group: example.com, kind: Widget, name: w, namespace: "{{ args.namespace }}"}
`,
    },
    prune: pruneProject('parity-dp-prune'),
    timeout: {
      ...goodProject('parity-dp-timeout'),
      'app/deployment.yaml': deployment('stuck', { stuck: true, waitReadiness: true }),
    },
  };
  for (const [name, files] of Object.entries(sources)) {
    projects.set(name, await writeProject(name, files));
    namespaces.set(name, {
      kluctl: await createTestNamespace(`dk-${name}`),
      ours: await createTestNamespace(`do-${name}`),
    });
  }
}, TIMEOUT);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test(
  'a good project with a hook: same objects, metadata, field ownership and result',
  async () => {
    const first = await deployBoth('good');
    expect(first.kluctl).toMatchObject({ counts: { rendered: 4, applied: 4, new: 3, hook: 1 } });
    expect(first.ours).toEqual(first.kluctl);
    expect(await landedBoth('good')).toMatchObject({ same: true });
    // Deploying again changes nothing on either side.
    const second = await deployBoth('good');
    expect(second.ours).toEqual(second.kluctl);
  },
  TIMEOUT,
);

test(
  'objects the API server rejects: the same errors, and validate finds them missing',
  async () => {
    const r = await deployBoth('errors');
    expect(r.kluctl).toMatchObject({
      counts: { rendered: 3, applied: 1, new: 1 },
      errors: expect.arrayContaining([
        {
          ref: '',
          message:
            'failed to wait for readiness of <ns>/w. resource with group/kind Widget.example.com not found',
        },
      ]),
    });
    const validated = { kluctl: await validate('errors', 'kluctl'), ours: await validate('errors', 'ours') };
    expect(validated.ours).toEqual(validated.kluctl);
    // Missing objects are errors, but only readiness checks clear `ready`.
    expect(validated.kluctl).toMatchObject({
      ready: true,
      errors: ['<ns>/ConfigMap/unknown-field: object not found', '<ns>/Widget/w: object not found'],
    });
    expect(r.ours).toEqual(r.kluctl);
  },
  TIMEOUT,
);

test(
  'prune: the removed object is deleted on both sides',
  async () => {
    await deployBoth('prune');
    await git(projects.get('prune')!, ['rm', '-q', 'cms/cm2.yaml']);
    await git(projects.get('prune')!, ['commit', '-qm', 'drop cm2']);
    const r = await deployBoth('prune', ['--prune']);
    expect(r.ours).toEqual(r.kluctl);
    expect(r.kluctl).toMatchObject({ counts: { deleted: 1 } });
  },
  TIMEOUT,
);

test(
  'waiting for a workload that never gets ready times out the same way',
  async () => {
    const r = await deployBoth('timeout', ['--readiness-timeout', '3s']);
    expect(r.ours).toEqual(r.kluctl);
    expect(r.kluctl).toMatchObject({
      errors: [{ message: 'timed out while waiting for readiness of <ns>/Deployment/stuck' }],
    });
  },
  TIMEOUT,
);

test(
  'validate: the same findings for every readiness rule, in Kluctl wording',
  async () => {
    const deployed = await deployBoth('readiness');
    expect(deployed.ours).toEqual(deployed.kluctl);
    const ns = namespaces.get('readiness')!;
    for (const side of ['kluctl', 'ours'] as const) await settled(ns[side]);
    const validated = {
      kluctl: await validate('readiness', 'kluctl'),
      ours: await validate('readiness', 'ours'),
    };
    expect(validated.ours).toEqual(validated.kluctl);
    expect(validated.kluctl).toEqual({
      ready: false,
      errors: [
        '<ns>/ConfigMap/not-ready: kluctl.io/is-ready annotation is set to false',
        '<ns>/DaemonSet/nowhere: updatedNumberScheduled field not in status or empty',
        '<ns>/Deployment/half: readyReplicas (1) is less then replicas (2)',
        '<ns>/Deployment/stuck: readyReplicas field not in status or empty',
        '<ns>/Job/stuck-job: Not completed',
        '<ns>/PersistentVolumeClaim/claim: Volume is not bound',
        '<ns>/Pod/runner: Not ready',
        '<ns>/Service/lb: Not ready',
        '<ns>/StatefulSet/half-sts: StatefulSet is not ready. 1 out of 2 expected pods are ready',
        '<ns>/StatefulSet/stuck-sts: StatefulSet is not ready. 1 out of 2 expected pods have been scheduled',
      ],
      warnings: [],
      results: ['<ns>/ConfigMap/checked: validate-result.kluctl.io/health=all good'],
    });
  },
  TIMEOUT,
);

/** A project folder that is a git repository with an `origin`, as Kluctl's CLI wants one. */
async function writeProject(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work, name);
  writeFiles(dir, files);
  await git(dir, ['init', '-q', '--initial-branch=main']);
  await git(dir, ['remote', 'add', 'origin', `https://git.example.com/parity/${name}.git`]);
  await git(dir, ['add', '--all']);
  await git(dir, ['commit', '-qm', 'initial']);
  return dir;
}

/** Deploys `name` with both tools and returns both results, normalized. */
async function deployBoth(name: string, extra: string[] = []): Promise<Record<Side, unknown>> {
  const dir = projects.get(name)!;
  const ns = namespaces.get(name)!;
  const out: Partial<Record<Side, unknown>> = {};
  for (const side of ['kluctl', 'ours'] as const) {
    const file = join(work, `${name}-${side}-${Date.now()}.yaml`);
    const args = [
      'deploy',
      '-y',
      '--project-dir',
      dir,
      '-t',
      'test',
      '-a',
      `namespace=${ns[side]}`,
      ...extra,
    ];
    const r =
      side === 'kluctl'
        ? await runKluctl([...args, '-o', `yaml=${file}`], { env: { KUBECONFIG: testEnv().kubeconfigPath } })
        : await cli([...args, '--kubeconfig', testEnv().kubeconfigPath, '-o', `yaml=${file}`]);
    const result = parse(await readFile(file, 'utf8').catch(() => 'null')) as Result | null;
    if (!result) throw new Error(`${side} deploy of ${name} wrote no result (exit ${r.code}):\n${r.stderr}`);
    out[side] = summarize(result, { [ns[side]]: '<ns>' });
  }
  return out as Record<Side, unknown>;
}

/** What a command result says, comparable across tools: object flags, counts, messages, header. */
function summarize(r: Result, placeholders: Placeholders): unknown {
  const objects = ((r.compactedObjects ?? r.objects ?? []) as ResultObject[]).map((o) => ({
    ref: refText(o.ref),
    flags: (['rendered', 'remote', 'applied', 'new', 'changes', 'orphan', 'deleted', 'hook'] as const)
      .filter((k) => (k === 'changes' ? (o.changes?.length ?? 0) > 0 : Boolean(o[k])))
      .join(' '),
  }));
  const count = (f: string) => objects.filter((o) => o.flags.split(' ').includes(f)).length;
  const messages = (list: unknown) =>
    ((list ?? []) as { ref: ResultObject['ref']; message: string }[])
      .map((e) => ({ ref: refText(e.ref), message: e.message }))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const { startTime: _s, endTime: _e, ...command } = r.command as Record<string, unknown>;
  return normalizeValue(
    {
      objects: objects.sort((a, b) => a.ref.localeCompare(b.ref)),
      counts: Object.fromEntries(
        ['rendered', 'remote', 'applied', 'new', 'changes', 'orphan', 'deleted', 'hook'].map((f) => [
          f,
          count(f),
        ]),
      ),
      errors: messages(r.errors),
      warnings: messages(r.warnings),
      command,
      target: r.target,
      targetKey: r.targetKey,
      projectKey: r.projectKey,
      gitInfo: r.gitInfo,
      clusterInfo: r.clusterInfo,
    },
    placeholders,
  );
}

function refText(ref: ResultObject['ref'] | undefined): string {
  if (!ref?.kind) return '';
  return ref.namespace ? `${ref.namespace}/${ref.kind}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** Labels, annotations and the `kluctl` managedFields of every object of `name` on both sides. */
async function landedBoth(name: string): Promise<{ same: boolean; kluctl: unknown; ours: unknown }> {
  const ns = namespaces.get(name)!;
  const side = async (s: Side) => {
    const list = await kubectlJson<{ items: Record<string, unknown>[] }>([
      'get',
      'configmaps,services,deployments.apps',
      '-n',
      ns[s],
      '-l',
      'kluctl.io/discriminator',
      '--show-managed-fields',
    ]);
    const objects = list.items.map((o) => {
      const meta = o.metadata as Record<string, unknown>;
      const managed = ((meta.managedFields ?? []) as Record<string, unknown>[])
        .filter((m) => m.manager === 'kluctl')
        .map(({ time: _t, ...m }) => m);
      return { kind: o.kind, name: meta.name, labels: meta.labels, annotations: meta.annotations, managed };
    });
    return normalizeValue(
      objects.sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`)),
      { [ns[s]]: '<ns>' },
    );
  };
  const kluctl = await side('kluctl');
  const ours = await side('ours');
  expect(ours).toEqual(kluctl);
  return { same: JSON.stringify(ours) === JSON.stringify(kluctl), kluctl, ours };
}

/** Waits until kwok made the objects it can run ready, and the stuck ones got their status. */
async function settled(ns: string): Promise<void> {
  await eventually(
    async () => {
      for (const d of READY_OBJECTS.deployments) {
        const o = await kubectlJson<{ status?: { readyReplicas?: number } }>([
          'get',
          'deployment',
          d,
          '-n',
          ns,
        ]);
        expect(o.status?.readyReplicas).toBe(1);
      }
      for (const d of READY_OBJECTS.statefulSets) {
        const o = await kubectlJson<{ status?: { readyReplicas?: number } }>([
          'get',
          'statefulset',
          d,
          '-n',
          ns,
        ]);
        expect(o.status?.readyReplicas).toBe(2);
      }
      for (const d of READY_OBJECTS.daemonSets) {
        const o = await kubectlJson<{ status?: { numberReady?: number } }>(['get', 'daemonset', d, '-n', ns]);
        expect(o.status?.numberReady).toBe(1);
      }
      for (const j of READY_OBJECTS.jobs) {
        const o = await kubectlJson<{ status?: { succeeded?: number } }>(['get', 'job', j, '-n', ns]);
        expect(o.status?.succeeded).toBe(1);
      }
      const sts = await kubectlJson<{ status?: { replicas?: number } }>([
        'get',
        'statefulset',
        'stuck-sts',
        '-n',
        ns,
      ]);
      expect(sts.status?.replicas).toBe(1);
      // One of two replicas runs (the other has no node left).
      type Half = { status?: { replicas?: number; readyReplicas?: number } };
      for (const [kind, name] of [
        ['deployment', 'half'],
        ['statefulset', 'half-sts'],
      ]) {
        const o = await kubectlJson<Half>(['get', kind!, name!, '-n', ns]);
        expect(o.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
      }
    },
    { timeoutMs: 120_000, intervalMs: 1000 },
  );
}

/** `validate` of a project by one tool: readiness, and findings as `ref: message` lines. */
async function validate(name: string, side: Side): Promise<unknown> {
  const ns = namespaces.get(name)![side];
  const dir = projects.get(name)!;
  const file = join(work, `validate-${side}-${Date.now()}.yaml`);
  const args = ['validate', '--project-dir', dir, '-t', 'test', '-a', `namespace=${ns}`];
  const r =
    side === 'kluctl'
      ? await runKluctl([...args, '-o', `yaml=${file}`], { env: { KUBECONFIG: testEnv().kubeconfigPath } })
      : await cli([...args, '--kubeconfig', testEnv().kubeconfigPath, '-o', `yaml=${file}`]);
  const v = parse(await readFile(file, 'utf8').catch(() => 'null')) as Result | null;
  if (!v) throw new Error(`${side} validate wrote no result (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const lines = (list: unknown, value: (e: Record<string, string>) => string) =>
    ((list ?? []) as Record<string, unknown>[])
      .map((e) => `${refText(e.ref as ResultObject['ref'])}: ${value(e as Record<string, string>)}`)
      .sort();
  return normalizeValue(
    {
      ready: v.ready,
      errors: lines(v.errors, (e) => e.message!),
      warnings: lines(v.warnings, (e) => e.message!),
      results: lines(v.results, (e) => `${e.annotation}=${e.message}`),
    },
    { [ns]: '<ns>' },
  );
}
