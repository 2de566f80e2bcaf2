/**
 * Deletion parity: what the real Kluctl v2.28.2 and ours delete, side by side on one test cluster.
 * - The CLI: `delete --dry-run`, `prune --dry-run` and `deploy --dry-run --prune` report the same
 *   objects deleted (Kluctl sends the deletes as server-side dry runs) and delete nothing.
 * - The controller's finalizer (`kluctl controller run` against `kluctl-serverless run --once`), for
 *   KluctlDeployments with `delete: false`, `delete: true`, `delete: true` + `dryRun`, `delete: true` +
 *   inclusion rules and `delete: true` + `suspend`: the same objects are left in each target namespace,
 *   the same delete results are written (Kluctl's are caught by watching its result Secrets, which its
 *   orphan cleanup removes right after), and a deployment created again under the same name deploys.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { summarizeResult } from '../../lib/deploy/command-result.js';
import { readCommandResult } from '../../lib/reconcile/results.js';
import { toolPath } from '../../devenv/tools.js';
import { cli } from '../support/cli.js';
import { createRepo, git } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { sleep, startProcess } from '../../devenv/processes.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { configMap, deploymentYml, kluctlYml } from './controller-projects.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';

const TIMEOUT = 900_000;
type Side = 'kluctl' | 'ours';
const SIDES = ['kluctl', 'ours'] as const;

/** A project of three items a, b, c (tagged by their dirs), one ConfigMap each. */
const PROJECT = {
  '.kluctl.yml': kluctlYml('parity-del'),
  'deployment.yml': deploymentYml(['a', 'b', 'c']),
  'a/cm.yaml': configMap('a'),
  'b/cm.yaml': configMap('b'),
  'c/cm.yaml': configMap('c'),
};

/** The controller cases: the spec they start with, and the patch applied before the deletion. */
const CASES: readonly { name: string; spec: Record<string, unknown>; before: Record<string, unknown> }[] = [
  { name: 'keep', spec: {}, before: {} },
  { name: 'delete', spec: { delete: true }, before: {} },
  { name: 'dry', spec: { delete: true }, before: { dryRun: true } },
  {
    name: 'inclusion',
    spec: { delete: true },
    before: { includeTags: ['a', 'b'], excludeDeploymentDirs: ['b'] },
  },
  { name: 'suspended', spec: { delete: true }, before: { suspend: true } },
];

let work: string;

beforeAll(async () => {
  await installCrds();
  work = await mkdtemp(join(testEnv().runDir, 'delete-parity-'));
}, TIMEOUT);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('CLI', () => {
  let dir: string;
  const ns: Partial<Record<Side, string>> = {};
  beforeAll(async () => {
    dir = join(work, 'cli');
    for (const [p, text] of Object.entries(PROJECT)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), text);
    }
    await git(dir, ['init', '-q', '--initial-branch=main']);
    await git(dir, ['remote', 'add', 'origin', 'https://git.example.com/parity/delete.git']);
    await git(dir, ['add', '--all']);
    await git(dir, ['commit', '-qm', 'initial']);
    for (const side of SIDES) {
      ns[side] = await createTestNamespace(`dc-${side}`);
      await run(side, ['deploy', '-y']);
    }
  }, TIMEOUT);

  /** Runs a command on one side and returns its result (`-o yaml=<file>`), summarized. */
  async function run(side: Side, args: string[]): Promise<unknown> {
    const file = join(work, `cli-${side}-${Date.now()}.yaml`);
    const common = ['--project-dir', dir, '-t', 'test', '-a', `namespace=${ns[side]}`, '-o', `yaml=${file}`];
    const r =
      side === 'kluctl'
        ? await runKluctl([...args, ...common], { env: { KUBECONFIG: testEnv().kubeconfigPath } })
        : await cli([...args, ...common, '--kubeconfig', testEnv().kubeconfigPath]);
    const result = parse(await readFile(file, 'utf8').catch(() => 'null')) as Record<string, unknown> | null;
    if (!result) throw new Error(`${side} ${args[0]} wrote no result (exit ${r.code}):\n${r.stderr}`);
    return summarize(result, ns[side]!);
  }

  test(
    'delete --dry-run, prune --dry-run and deploy --dry-run --prune report the deletes and delete nothing',
    async () => {
      const del: Partial<Record<Side, unknown>> = {};
      for (const side of SIDES) del[side] = await run(side, ['delete', '--dry-run']);
      expect(del.ours).toEqual(del.kluctl);
      expect(del.kluctl).toMatchObject({ deleted: ['a', 'b', 'c'] });

      await git(dir, ['rm', '-q', 'c/cm.yaml']);
      await writeFile(join(dir, 'deployment.yml'), deploymentYml(['a', 'b']));
      await git(dir, ['add', '--all']);
      await git(dir, ['commit', '-qm', 'drop c']);
      for (const args of [
        ['prune', '--dry-run'],
        ['deploy', '--dry-run', '--prune'],
      ]) {
        const r: Partial<Record<Side, unknown>> = {};
        for (const side of SIDES) r[side] = await run(side, args);
        expect(r.ours).toEqual(r.kluctl);
        expect(r.kluctl).toMatchObject({ deleted: ['c'] });
      }
      for (const side of SIDES) expect(await left(ns[side]!)).toEqual(['a', 'b', 'c']);
    },
    TIMEOUT,
  );
});

describe('controller finalizer', () => {
  let server: GitServer;
  let repo: TestRepo;
  const kdNs: Partial<Record<Side, string>> = {};
  const targets: Record<Side, Map<string, string>> = { kluctl: new Map(), ours: new Map() };
  let resultsNs: string;
  let stateDir: string;

  beforeAll(async () => {
    server = await startGitServer();
    repo = await createRepo(server, 'parity-delete', PROJECT);
    resultsNs = await createTestNamespace('dr-results');
    stateDir = await mkdtemp(join(work, 'state-'));
    for (const side of SIDES) {
      kdNs[side] = await createTestNamespace(`dk-${side}`);
      for (const c of CASES) {
        targets[side].set(c.name, await createTestNamespace(`d${side[0]}-${c.name}`));
        await applyKd(side, c.name, c.spec);
      }
    }
  }, TIMEOUT);
  afterAll(async () => {
    await server?.stop();
    await repo?.cleanup();
  });

  async function applyKd(side: Side, name: string, spec: Record<string, unknown>): Promise<void> {
    const kd = {
      apiVersion: 'gitops.kluctl.io/v1beta1',
      kind: 'KluctlDeployment',
      metadata: { name, namespace: kdNs[side] },
      spec: {
        interval: '10m',
        timeout: '2m',
        source: { git: { url: repo.url } },
        target: 'test',
        context: 'default',
        validate: false,
        args: { namespace: targets[side].get(name) },
        ...spec,
      },
    };
    const r = await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(kd) });
    if (r.code !== 0) throw new Error(`applying KluctlDeployment ${name} failed: ${r.stderr}`);
  }

  test(
    'the same objects are deleted, the same delete results written, and a re-created deployment deploys',
    async () => {
      await reconcileBoth(CASES.map((c) => c.name));
      for (const side of SIDES)
        for (const c of CASES) expect(await left(targets[side].get(c.name)!)).toEqual(['a', 'b', 'c']);
      for (const side of SIDES) {
        for (const c of CASES) {
          if (Object.keys(c.before).length === 0) continue;
          const r = await kubectlTest([
            'patch',
            'kluctldeployment',
            c.name,
            '-n',
            kdNs[side]!,
            '--type=merge',
            '-p',
            JSON.stringify({ spec: c.before }),
          ]);
          expect(r.code).toBe(0);
        }
      }
      await reconcileBoth(CASES.filter((c) => Object.keys(c.before).length > 0).map((c) => c.name));

      // Kluctl's delete results live briefly: catch them with a watch while its controller deletes.
      const watch = watchResults(resultsNs);
      let kluctlResults: Record<string, unknown>;
      try {
        await deleteBoth(CASES.map((c) => c.name));
        kluctlResults = await kluctlDeleteResults(watch);
      } finally {
        await watch.stop();
      }
      const leftBy = async (side: Side) =>
        Object.fromEntries(
          await Promise.all(CASES.map(async (c) => [c.name, await left(targets[side].get(c.name)!)])),
        );
      expect(await leftBy('ours')).toEqual(await leftBy('kluctl'));
      expect(await leftBy('kluctl')).toEqual({
        keep: ['a', 'b', 'c'],
        delete: [],
        dry: ['a', 'b', 'c'],
        inclusion: ['b', 'c'],
        suspended: ['a', 'b', 'c'],
      });
      expect(await ourDeleteResults()).toEqual(kluctlResults);

      // Created again under the same name, with the same spec and commit: both deploy again.
      await applyKd('kluctl', 'delete', { delete: true });
      await applyKd('ours', 'delete', { delete: true });
      await reconcileBoth(['delete']);
      for (const side of SIDES) expect(await left(targets[side].get('delete')!)).toEqual(['a', 'b', 'c']);
    },
    TIMEOUT,
  );

  async function reconcileBoth(names: readonly string[]): Promise<void> {
    const ctl = await startController();
    try {
      for (const name of names) await waitReconciled(ctl, { namespace: kdNs.kluctl!, name }, 1, 300_000);
    } finally {
      await ctl.stop();
    }
    await runOurs();
  }

  async function deleteBoth(names: readonly string[]): Promise<void> {
    for (const side of SIDES)
      for (const name of names)
        expect(
          (await kubectlTest(['delete', 'kluctldeployment', name, '-n', kdNs[side]!, '--wait=false'])).code,
        ).toBe(0);
    const ctl = await startController();
    try {
      for (let i = 0; (await kdNames(kdNs.kluctl!)).length > 0; i++) {
        if (i > 600) throw new Error(`Kluctl's controller did not finalize: ${await kdNames(kdNs.kluctl!)}`);
        await sleep(500);
      }
    } finally {
      await ctl.stop();
    }
    await runOurs();
    expect(await kdNames(kdNs.ours!)).toEqual([]);
  }

  function startController(): Promise<ManagedProcess> {
    return startKluctlController(kdNs.kluctl!, {
      dryRun: false,
      controllerNamespace: resultsNs,
      extraArgs: ['--command-result-namespace', resultsNs],
    });
  }

  async function runOurs(): Promise<void> {
    const r = await cli([
      'run',
      '--once',
      '--namespace',
      kdNs.ours!,
      '--kubeconfig',
      testEnv().kubeconfigPath,
      '--context',
      'default',
      '--state-dir',
      stateDir,
    ]);
    if (r.code !== 0) throw new Error(`run --once failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  }

  /** Our stored delete results by deployment: the summary fields that say what was deleted. */
  async function ourDeleteResults(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const store = new FsStateStore(stateDir);
    // Results live under results/<cluster>/<namespace>/<name>/ (lib/state/layout.ts).
    for (const key of await store.list('results/')) {
      // Reconcile logs (`logs/…jsonl.gz`) live beside the results.
      if (!key.includes(`/${kdNs.ours}/`) || !key.endsWith('.json.gz')) continue;
      const r = await readCommandResult(store, key);
      if (r?.command.command !== 'delete') continue;
      out[r.kluctlDeployment!.name] = deleteSummary(summarizeResult(r) as unknown as Record<string, unknown>);
    }
    return out;
  }
});

/** What a delete result says, comparable across tools. */
function deleteSummary(s: Record<string, unknown>): unknown {
  const info = s.commandInfo as Record<string, unknown>;
  const targetKey = s.targetKey as Record<string, unknown>;
  return {
    command: info.command,
    initiator: info.initiator,
    deletedObjects: s.deletedObjects,
    errors: s.errors ?? [],
    targetName: targetKey.targetName,
    // Each side deploys into its own namespace, which the discriminator names.
    discriminator: String(targetKey.discriminator).startsWith('parity-del-')
      ? 'parity-del-<ns>'
      : targetKey.discriminator,
  };
}

/** A `kubectl get secrets -w` on Kluctl's result namespace, writing every event to its log. */
function watchResults(namespace: string): ManagedProcess {
  return startProcess({
    name: `kluctl-results-watch-${Date.now()}`,
    command: toolPath('kubectl'),
    args: ['--kubeconfig', testEnv().kubeconfigPath, 'get', 'secrets', '-n', namespace, '-w', '-o', 'json'],
    logsDir: testEnv().logsDir,
  });
}

/** Kluctl's delete results seen by the watch, by deployment (from the summary annotation). */
async function kluctlDeleteResults(watch: ManagedProcess): Promise<Record<string, unknown>> {
  await sleep(2000);
  const text = await readFile(watch.logFile, 'utf8');
  const out: Record<string, unknown> = {};
  for (const secret of splitJson(text)) {
    const a = ((secret.metadata as Record<string, unknown>)?.annotations ?? {}) as Record<string, string>;
    const summaryText = a['kluctl.io/command-result-summary'];
    if (!summaryText) continue;
    const summary = JSON.parse(summaryText) as Record<string, unknown>;
    if ((summary.commandInfo as Record<string, unknown>).command !== 'delete') continue;
    out[a['kluctl.io/result-deployment-name']!] = deleteSummary(summary);
  }
  return out;
}

/** The JSON documents of a stream of pretty-printed objects. */
function splitJson(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0 && start >= 0)
        out.push(JSON.parse(text.slice(start, i + 1)) as Record<string, unknown>);
    }
  }
  return out;
}

/** The ConfigMaps a, b, c still in `namespace`. */
async function left(namespace: string): Promise<string[]> {
  const list = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
    'get',
    'configmaps',
    '-n',
    namespace,
  ]);
  return list.items
    .map((o) => o.metadata.name)
    .filter((n) => ['a', 'b', 'c'].includes(n))
    .sort();
}

async function kdNames(namespace: string): Promise<string[]> {
  const list = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
    'get',
    'kluctldeployments',
    '-n',
    namespace,
  ]);
  return list.items.map((o) => o.metadata.name);
}

/** The deleted objects, errors and command info of a CLI result. */
function summarize(r: Record<string, unknown>, ns: string): unknown {
  const objects = (r.compactedObjects ?? r.objects ?? []) as { ref: { name: string }; deleted?: boolean }[];
  const { startTime: _s, endTime: _e, ...command } = r.command as Record<string, unknown>;
  return JSON.parse(
    JSON.stringify({
      deleted: objects
        .filter((o) => o.deleted)
        .map((o) => o.ref.name)
        .sort(),
      errors: r.errors ?? [],
      command,
    }).replaceAll(ns, '<ns>'),
  ) as unknown;
}
