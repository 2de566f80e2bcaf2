/**
 * Source overrides end to end. Ports Kluctl's e2e source_override_test.go (TestLocalGitOverride,
 * TestGitGroup, TestLocalOciOverride, TestLocalOciGroupOverride): a project with two git (or oci)
 * includes, served by the test Git server (or pushed by the real `kluctl oci push` to the test
 * registry), is deployed with the includes replaced by local copies whose ConfigMaps differ. The same
 * flags are run through the reference Kluctl's render side by side, and must pick the same sources.
 * Also: `spec.sourceOverrides` fails the reconcile as PrepareFailed with an error naming the field
 * (Kluctl's controller accepts only its gRPC proxy URLs, which nothing here can serve).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { cli } from '../support/cli.js';
import { readyCondition } from '../support/kluctl-deployment.js';
import { kluctlOciPush, writeGitProject } from '../support/kluctl-oci-push.js';
import { applyAndReconcile, testReconcileDeps } from '../support/reconcile-scenario.js';
import { createTestNamespace, installCrds, kubectlJson, testEnv } from '../support/test-env.js';

let ns: string;
let server: GitServer;
let reg: TestOciRegistry;
let inc1: TestRepo;
let inc2: TestRepo;
let gitHost: string;
/** The overrides: `<group>/include1` and `<group>/include2`, whose ConfigMaps say o1 and o2. */
let group: string;
let gitProject: string;
/** One KLUCTL_CACHE_DIR for every reference run, so Kluctl unpacks its Python only once. */
let kluctlCache: string;
let ociProject: string;
const cleanups: string[] = [];

const configMap = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: "{{ args.namespace }}"\ndata:\n  a: ${value}\n`;
const include1 = (v: string) => ({
  'deployment.yaml': 'deployments:\n  - path: cm\n',
  'cm/configmap-include1-cm.yml': configMap('include1-cm', v),
});
const include2 = (v: string) => ({
  'subDir/deployment.yaml': 'deployments:\n  - path: cm\n',
  'subDir/cm/configmap-include2-cm.yml': configMap('include2-cm', v),
});
const rootProject = (items: string) => ({
  '.kluctl.yaml': 'args:\n  - name: namespace\ntargets:\n  - name: test\n',
  'deployment.yaml': `deployments:\n${items}`,
});

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, text);
  }
}

beforeAll(async () => {
  await installCrds();
  ns = await createTestNamespace('srcov');
  server = await startGitServer();
  gitHost = new URL(server.url('x')).host;
  inc1 = await createRepo(server, 'repos/include1', include1('v'));
  inc2 = await createRepo(server, 'repos/include2', include2('v'));
  reg = await startOciRegistry();
  for (const [name, files] of [
    ['include1', include1('v')],
    ['include2', include2('v')],
  ] as const) {
    const pushed = await kluctlOciPush({ url: `oci://${reg.host}/org1/${name}`, files });
    cleanups.push(pushed.dir);
  }
  kluctlCache = await mkdtemp(join(tmpdir(), 'ks-srcov-kluctl-'));
  cleanups.push(kluctlCache);
  group = await mkdtemp(join(tmpdir(), 'ks-srcov-group-'));
  cleanups.push(group);
  await writeTree(join(group, 'include1'), include1('o1'));
  await writeTree(join(group, 'include2'), include2('o2'));
  gitProject = (
    await writeGitProject(
      rootProject(
        `  - git:\n      url: ${inc1.url}\n  - git:\n      url: ${inc2.url}\n      subDir: subDir\n`,
      ),
    )
  ).dir;
  ociProject = (
    await writeGitProject(
      rootProject(
        `  - oci:\n      url: oci://${reg.host}/org1/include1\n` +
          `  - oci:\n      url: oci://${reg.host}/org1/include2\n      subDir: subDir\n`,
      ),
    )
  ).dir;
  cleanups.push(gitProject, ociProject);
}, 240_000);

afterAll(async () => {
  await inc1?.cleanup();
  await inc2?.cleanup();
  await server?.stop();
  await reg?.close();
  for (const d of cleanups) await rm(d, { recursive: true, force: true });
});

/** `a` of each ConfigMap in a `--print-all` output. */
function configMapValues(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const doc of parseAllDocuments(stdout)) {
    const o = doc.toJS() as { kind?: string; metadata?: { name: string }; data?: { a: string } } | null;
    if (o?.kind === 'ConfigMap' && o.metadata && o.data) out[o.metadata.name] = o.data.a;
  }
  return out;
}

/** Renders `project` with `flags` through ours and the reference Kluctl; both must succeed. */
async function renderBoth(project: string, flags: readonly string[]) {
  const args = ['render', '--project-dir', project, '-t', 'test', '-a', `namespace=${ns}`, '--print-all'];
  const [ours, theirs] = await Promise.all([
    cli([...args, '--offline-kubernetes', ...flags]),
    runKluctl([...args, '--offline-kubernetes', ...flags], { cacheDir: kluctlCache }),
  ]);
  return { ours, theirs };
}

/** Deploys `project` with `flags` with our CLI and returns `a` of the two ConfigMaps in the cluster. */
async function deployOurs(project: string, flags: readonly string[]): Promise<Record<string, string>> {
  const r = await cli([
    'deploy',
    '--yes',
    '--project-dir',
    project,
    '-t',
    'test',
    '-a',
    `namespace=${ns}`,
    '--kubeconfig',
    testEnv().kubeconfigPath,
    ...flags,
  ]);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const cms = await kubectlJson<{ items: { metadata: { name: string }; data?: { a: string } }[] }>([
    'get',
    'configmaps',
    '-n',
    ns,
  ]);
  return Object.fromEntries(
    cms.items.filter((c) => c.metadata.name.startsWith('include')).map((c) => [c.metadata.name, c.data!.a]),
  );
}

const overridden = { 'include1-cm': 'o1', 'include2-cm': 'o2' };
const original = { 'include1-cm': 'v', 'include2-cm': 'v' };

describe.each([
  [
    'TestLocalGitOverride',
    () => gitProject,
    () => [
      '--local-git-override',
      `git://${gitHost}/repos/include1=${group}/include1`,
      '--local-git-override',
      `${gitHost}/repos/include2=${group}/include2`,
    ],
  ],
  ['TestGitGroup', () => gitProject, () => ['--local-git-group-override', `git://${gitHost}/repos=${group}`]],
  [
    'TestLocalOciOverride',
    () => ociProject,
    () => [
      '--local-oci-override',
      `${reg.host}/org1/include1=${group}/include1`,
      '--local-oci-override',
      `oci://${reg.host}/org1/include2=${group}/include2`,
    ],
  ],
  [
    'TestLocalOciGroupOverride',
    () => ociProject,
    () => ['--local-oci-group-override', `${reg.host}/org1=${group}`],
  ],
])('%s', (_, project, flags) => {
  test('ours and the reference Kluctl render the local copies, and ours deploys them', async () => {
    const { ours, theirs } = await renderBoth(project(), flags());
    expect(theirs.code).toBe(0);
    expect(ours.code).toBe(0);
    expect(configMapValues(theirs.stdout)).toEqual(overridden);
    expect(configMapValues(ours.stdout)).toEqual(overridden);
    expect(ours.stderr).toContain(`warning: Overriding `);
    expect(ours.stderr).toContain(`with local directory ${group}/include1`);
    expect(await deployOurs(project(), flags())).toEqual(overridden);
    // Without the flags the includes come from their repositories again.
    expect(await deployOurs(project(), [])).toEqual(original);
  }, 240_000);
});

describe('edges, side by side with the reference Kluctl', () => {
  test.each([
    ['a missing directory falls back to the repository', () => [`${gitHost}/repos/include1=${group}/nope`]],
    [
      'keys are not normalised: .git does not match',
      () => [`${gitHost}/repos/include1.git=${group}/include1`],
    ],
    [
      'keys are not normalised: an oci:// key never covers a git repository',
      () => [`oci://${gitHost}/repos/include1=${group}/include1`],
    ],
  ])(
    '%s',
    async (_, values) => {
      const flags = values().flatMap((v) => ['--local-git-override', v]);
      const { ours, theirs } = await renderBoth(gitProject, flags);
      expect(theirs.code).toBe(0);
      expect(ours.code).toBe(0);
      expect(configMapValues(theirs.stdout)).toEqual(original);
      expect(configMapValues(ours.stdout)).toEqual(original);
    },
    120_000,
  );

  test('gitFiles of an overridden repository sees no refs in both (the override has none)', async () => {
    const { dir } = await writeGitProject({
      '.kluctl.yaml': 'args:\n  - name: namespace\ntargets:\n  - name: test\n',
      'deployment.yaml': [
        'vars:',
        `  - gitFiles:\n      url: ${inc1.url}\n      ref:\n        branch: main`,
        '      files:\n        - glob: cm/*.yml',
        '    targetPath: gf',
        'deployments:\n  - path: cm',
        '',
      ].join('\n'),
      'cm/cm.yaml': configMap('gitfiles-cm', '"{{ gf | length }}"'),
    });
    cleanups.push(dir);
    const { ours, theirs } = await renderBoth(dir, [
      '--local-git-override',
      `${gitHost}/repos/include1=${group}/include1`,
    ]);
    expect(theirs.code).toBe(0);
    expect(ours.code).toBe(0);
    expect(configMapValues(theirs.stdout)).toEqual({ 'gitfiles-cm': '0' });
    expect(configMapValues(ours.stdout)).toEqual({ 'gitfiles-cm': '0' });
    // Without the override both see the branch.
    const plain = await renderBoth(dir, []);
    expect(configMapValues(plain.theirs.stdout)).toEqual({ 'gitfiles-cm': '1' });
    expect(configMapValues(plain.ours.stdout)).toEqual({ 'gitfiles-cm': '1' });
  }, 180_000);

  test('a file instead of a directory fails both with the same message', async () => {
    const file = join(group, 'include1', 'deployment.yaml');
    const { ours, theirs } = await renderBoth(gitProject, [
      '--local-git-override',
      `${gitHost}/repos/include1=${file}`,
    ]);
    const message = `can not override repo git://${gitHost}/repos/include1. ${file} is not a directory`;
    expect(theirs.code).not.toBe(0);
    expect(theirs.stderr).toContain(message);
    expect(ours.code).not.toBe(0);
    expect(ours.stderr).toContain(message);
  }, 120_000);

  test.each(['ho_st/x'])(
    'an invalid repo key %s is refused by both',
    async (key) => {
      const { ours, theirs } = await renderBoth(gitProject, [
        '--local-git-group-override',
        `${key}=${group}`,
      ]);
      const message = `invalid --local-git-group-override: invalid repo key: ${key}`;
      expect(theirs.stderr).toContain(message);
      expect(ours.stderr).toContain(message);
      expect([ours.code, theirs.code]).toEqual([1, 1]);
    },
    120_000,
  );
});

describe('spec.sourceOverrides in the reconciler', () => {
  let kube: HttpKubeClient;
  let workDir: string;
  beforeAll(async () => {
    kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
    workDir = await mkdtemp(join(tmpdir(), 'ks-srcov-rec-'));
  });
  afterAll(async () => {
    kube?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  test.each([
    [
      'a local path',
      `file://${'/tmp/somewhere'}`,
      "spec.sourceOverrides[0].url: unsupported source override url scheme: file (Kluctl's controller accepts only grpc+source-override:// URLs; remove the entry)",
    ],
    [
      'a proxy URL of kluctl gitops',
      'grpc+source-override://127.0.0.1:8082/abcdef',
      expect.stringMatching(
        /^spec\.sourceOverrides\[0\]\.url: grpc\+source-override:\/\/ overrides .* does not run/,
      ),
    ],
  ])(
    '%s fails as PrepareFailed naming the field; nothing is deployed',
    async (_, url, message) => {
      const deps = testReconcileDeps({ kube, workDir, holder: 'source-overrides-test' });
      const name = `so-${url.split(':')[0]!.replace(/[^a-z]/g, '')}`;
      const kd = await applyAndReconcile(deps, ns, name, {
        interval: '5m',
        source: { git: { url: inc1.url } },
        sourceOverrides: [{ repoKey: `${gitHost}/repos/include1`, url }],
        target: 'test',
      });
      expect(readyCondition(kd)).toMatchObject({ status: 'False', reason: 'PrepareFailed' });
      expect(kd.status?.lastPrepareError).toEqual(message);
    },
    120_000,
  );
});
