/**
 * `kluctl-serverless gitops ...` against the real test environment: our local runner (in process,
 * watching one namespace) serves the requests the CLI (a child process, as a user runs it) sends, and
 * the CLI prints the results it reads back from Kluctl's result store. Every sub-command is driven
 * once; test/parity/gitops-cli-parity.test.ts compares the output with the real `kluctl gitops`.
 */
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
import { LocalRunner } from '../../lib/runner/local-runner.js';
import { toolPath } from '../../devenv/tools.js';
import { cli } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { applyKluctlDeployment, patchKluctlDeploymentSpec } from '../support/kluctl-deployment.js';
import { configMapItemsProject } from '../support/fixtures.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

const STEP_MS = 240_000;
let server: GitServer;
let repo: TestRepo;
let kube: HttpKubeClient;
let runner: LocalRunner;
let tmp: string;
let ns: string;

/** A project of one ConfigMap per entry of `data` in this file's namespace. */
const project = (data: Record<string, string>) => configMapItemsProject(ns, data);

beforeAll(async () => {
  const env = testEnv();
  await installCrds();
  server = await startGitServer();
  ns = await createTestNamespace('gitops-cli');
  repo = await createRepo(server, ns, project({ a: 'v1', b: 'v1' }));
  tmp = await mkdtemp(join(tmpdir(), 'ks-gitops-cli-'));
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: env.kubeconfigPath });
  const log = join(env.logsDir, `runner-${ns}.log`);
  runner = new LocalRunner(
    {
      kube,
      store: new FsStateStore(join(tmp, 'state')),
      git: new IsomorphicGitSource(),
      clock: systemClock,
      logger: jsonLogger((l) => appendFileSync(log, `${l}\n`)),
      workDir: tmp,
      kustomizePath: toolPath('kustomize'),
      holder: `gitops-cli-${ns}`,
      clusters: new HttpKubeClientFactory(kube),
      kluctlResults: new KubeSecretsResultStore(kube),
    },
    { namespace: ns, tickMs: 500 },
  );
  runner.start();
  // Suspended: only the CLI's requests act (Kluctl serves requests while suspended).
  await applyKluctlDeployment(ns, 'kd', {
    interval: '1h',
    target: 't1',
    suspend: true,
    source: { git: { url: repo.url } },
  });
}, STEP_MS);

afterAll(async () => {
  await runner?.stop();
  kube?.close();
  await repo?.cleanup();
  await server?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Runs `kluctl-serverless gitops <args>` against the test cluster, for `kd` unless told otherwise. */
function gitops(args: readonly string[], opts: { select?: boolean } = {}): Promise<CliResult> {
  const select = opts.select === false ? [] : ['--name', 'kd', '-n', ns];
  return cli(['gitops', ...args, ...select, '--kubeconfig', testEnv().kubeconfigPath]);
}

async function getKd(): Promise<KluctlDeployment> {
  return kubectlJson<KluctlDeployment>(['get', 'kluctldeployment', 'kd', '-n', ns]);
}

async function configMaps(): Promise<Record<string, string | undefined>> {
  const l = await kubectlJson<{ items: { metadata: { name: string }; data?: { k?: string } }[] }>([
    'get',
    'configmaps',
    '-n',
    ns,
    '-l',
    'kluctl.io/discriminator',
  ]);
  return Object.fromEntries(l.items.map((i) => [i.metadata.name, i.data?.k]));
}

function expectOk(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`CLI failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

test(
  'gitops diff prints what a deploy would change, then removes its result and lastDiffResult',
  async () => {
    const r = expectOk(await gitops(['diff']));
    expect(r.stdout).toBe(`\nNew objects:\n  ${ns}/ConfigMap/a\n  ${ns}/ConfigMap/b\n`);
    expect(r.stderr).toContain(`Patching KluctlDeployment ${ns}/kd`);
    expect(r.stderr).toContain('Waiting for controller to start processing the request');
    const kd = await getKd();
    expect(kd.status?.lastDiffResult).toBeUndefined();
    const id = kd.status?.diffRequestResult?.resultId;
    expect(id).toBeTruthy();
    const left = await kubectlJson<{ items: unknown[] }>([
      'get',
      'secrets',
      '-n',
      'kluctl-results',
      '-l',
      `kluctl.io/command-result-id=${id}`,
    ]);
    expect(left.items).toHaveLength(0);
    expect(await configMaps()).toEqual({});
  },
  STEP_MS,
);

test(
  'gitops deploy --dry-run changes nothing; gitops deploy deploys; a second deploy prints nothing',
  async () => {
    const dry = expectOk(await gitops(['deploy', '--dry-run']));
    expect(dry.stdout).toContain(`New objects:\n  ${ns}/ConfigMap/a`);
    expect(await configMaps()).toEqual({});
    expect((await getKd()).status?.deployRequestResult?.request.overridesPatch).toEqual({
      spec: { dryRun: true },
    });

    expectOk(await gitops(['deploy']));
    expect(await configMaps()).toEqual({ a: 'v1', b: 'v1' });

    await repo.commit(project({ a: 'v2', b: 'v1' }), 'a v2');
    const changed = expectOk(await gitops(['deploy', '--short-output']));
    expect(changed.stdout).toBe(`\nChanged objects:\n  ${ns}/ConfigMap/a\n`);
    const again = expectOk(await gitops(['deploy', '-o', 'json']));
    const json = JSON.parse(again.stdout) as { command: { command: string }; compactedObjects: unknown[] };
    expect(json.command.command).toBe('deploy');
    expect(json.compactedObjects.length).toBeGreaterThan(0);
  },
  STEP_MS,
);

test(
  'gitops validate passes, then fails with exit 1 once an object is gone',
  async () => {
    const ok = expectOk(await gitops(['validate']));
    expect(ok.stderr).toContain('Validation succeeded');
    await kubectlTest(['delete', 'configmap', 'a', '-n', ns]);
    const bad = await gitops(['validate']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${ns}/ConfigMap/a: object not found`);
    expect(bad.stderr).toContain('Validation failed');
  },
  STEP_MS,
);

test(
  'gitops prune deletes what Git no longer has; gitops reconcile runs although suspended',
  async () => {
    await repo.commit({ ...project({ a: 'v2' }), 'b/kustomization.yml': null, 'b/cm.yml': null }, 'no b');
    const r = expectOk(await gitops(['prune']));
    expect(r.stdout).toBe(`\nDeleted objects:\n  ${ns}/ConfigMap/b\n`);
    expectOk(await gitops(['reconcile']));
    expect((await getKd()).status?.reconcileRequestResult?.endTime).toBeDefined();
  },
  STEP_MS,
);

test(
  'gitops logs prints the log lines the runner kept for a reconcile id, and the recent ones',
  async () => {
    const rid = (await getKd()).status!.pruneRequestResult!.reconcileId;
    const state = ['--state-dir', join(tmp, 'state')];
    const r = expectOk(await gitops(['logs', '--reconcile-id', rid, ...state]));
    expect(r.stderr).toContain(`Showing logs for ${ns}/kd and reconciliation ID ${rid}`);
    expect(r.stdout).toContain('processing kluctl.io/request-prune\n');
    expect(r.stdout).toContain('finished kluctl.io/request-prune\n');
    const recent = expectOk(await gitops(['logs', '--log-since', '10m', '--log-time', ...state]));
    expect(recent.stdout).toMatch(/^\d{4}-\d\d-\d\dT[^ ]+: processing kluctl.io\/request-deploy$/m);
  },
  STEP_MS,
);

test(
  'deployments picked by -l/--label-selector; --name with -l is refused as by Kluctl',
  async () => {
    await kubectlTest(['label', '--overwrite', 'kluctldeployment', 'kd', '-n', ns, 'team=gitops-cli']);
    const before = (await getKd()).status?.reconcileRequestResult?.request.requestValue;
    expectOk(await gitops(['reconcile', '-l', 'team=gitops-cli', '-n', ns], { select: false }));
    expect((await getKd()).status?.reconcileRequestResult?.request.requestValue).not.toBe(before);
    const both = await gitops(['reconcile', '-l', 'team=gitops-cli']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('either name or label selector must be set, not both');
  },
  STEP_MS,
);

test(
  'a request whose command fails exits non-zero with the command error',
  async () => {
    const r = await gitops(['deploy', '-t', 'no-such-target']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-target/);
  },
  STEP_MS,
);

test(
  'gitops list-results lists the kept results; gitops get-result prints one as deploy did',
  async () => {
    const list = expectOk(await gitops(['list-results', '-o', 'json']));
    const [listing] = JSON.parse(list.stdout) as {
      commandResults: { id: string; commandInfo: { command: string } }[];
      validateResults: { id: string }[];
    }[];
    expect(listing!.commandResults.map((s) => s.commandInfo.command)).toContain('prune');
    expect(listing!.validateResults.length).toBeGreaterThan(0);
    const text = expectOk(await gitops(['list-results']));
    expect(text.stdout).toMatch(/^DEPLOYMENT\s+ID\s+COMMAND/);
    expect(text.stdout).toContain(`${ns}/kd`);

    const pruneId = (await getKd()).status!.pruneRequestResult!.resultId!;
    const one = expectOk(await gitops(['get-result', pruneId], { select: false }));
    expect(one.stdout).toBe(`\nDeleted objects:\n  ${ns}/ConfigMap/b\n`);
    const missing = await gitops(['get-result', 'no-such-id'], { select: false });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-id not found');
  },
  STEP_MS,
);

test(
  'gitops resume and suspend set spec.suspend and wait for the reconcile',
  async () => {
    expectOk(await gitops(['resume']));
    let kd = await getKd();
    expect(kd.spec.suspend).toBe(false);
    expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
    expectOk(await gitops(['suspend']));
    kd = await getKd();
    expect(kd.spec.suspend).toBe(true);
    expect(kd.status?.observedGeneration).toBe(kd.metadata.generation);
  },
  STEP_MS,
);

test(
  'gitops approve shows the diff and approves the rendered hash of a manual deployment, which then deploys',
  async () => {
    await patchKluctlDeploymentSpec(ns, 'kd', { suspend: false, manual: true });
    await repo.commit(project({ a: 'v3' }), 'a v3');
    // Auto-detected from the project checkout (--project-dir) instead of --name.
    const r = expectOk(
      await gitops(['approve', '--yes', '--project-dir', repo.workDir, '-n', ns], { select: false }),
    );
    expect(r.stdout).toContain(`Changed objects:\n  ${ns}/ConfigMap/a`);
    expect(r.stderr).toContain('Approving');
    const kd = await getKd();
    expect(kd.spec.manualObjectsHash).toBe(kd.status?.lastObjectsHash);
    expect(await configMaps()).toEqual({ a: 'v3' });
    const again = expectOk(await gitops(['approve', '--yes']));
    expect(again.stderr).toContain('is already approved');
  },
  STEP_MS,
);

test(
  'every gitops command has --help',
  async () => {
    const commands = [
      'deploy',
      'diff',
      'prune',
      'validate',
      'reconcile',
      'suspend',
      'resume',
      'approve',
      'list-results',
      'get-result',
      'logs',
    ];
    const runs = await Promise.all(commands.map((c) => cli(['gitops', c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: kluctl-serverless gitops ${commands[i]}`);
      expect(r.stdout).toContain('--kubeconfig');
    });
  },
  STEP_MS,
);
