/**
 * `render` and `list-targets` as a user runs them, with every project flag, offline and against the
 * real test cluster, with the real kustomize and helm. Follows Kluctl's e2e `render_test`
 * (TestRenderPrintAll, TestRenderNoKubeconfig), `args_test`, `contexts_test`, `no_target_test`,
 * `discriminator_test`, `inclusion_test` and `helm_test` (offline kubeVersion).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { createTestNamespace, testEnv } from '../support/test-env.js';
import { cli, projectFlags } from '../support/cli.js';
import type { CliResult } from '../support/cli.js';
import { writeFiles } from '../support/files.js';

const CHART = fileURLToPath(new URL('../fixtures/charts/test-chart', import.meta.url));

interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const docs = (stdout: string): Obj[] => parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
const names = (stdout: string): string[] => docs(stdout).map((o) => `${o.kind}/${o.metadata.name}`);
const find = (stdout: string, name: string): Obj => docs(stdout).find((o) => o.metadata.name === name)!;

const FILES: Record<string, string> = {
  '.kluctl.yaml': stringify({
    discriminator: 'cli-{{ target.name }}-{{ args.namespace }}',
    args: [
      { name: 'namespace' },
      { name: 'color', default: 'blue' },
      { name: 'nested', default: { a: 1, b: 2 } },
    ],
    targets: [
      { name: 'dev' },
      { name: 'prod', args: { color: 'red' } },
      { name: 'other', context: 'cli-other' },
      { name: 'badctx', context: 'does-not-exist' },
    ],
  }),
  'deployment.yaml': stringify({
    deployments: [
      { path: 'app' },
      { path: 'tagged', tags: ['extra'] },
      { include: 'sub' },
      { path: 'helm', tags: ['helm'] },
    ],
  }),
  'app/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: app',
    '  namespace: "{{ args.namespace }}"',
    'data:',
    '  target: "{{ target.name }}"',
    '  context: "{{ target.context | default(\'none\') }}"',
    '  color: "{{ args.color }}"',
    '  nestedA: "{{ args.nested.a }}"',
    '  nestedB: "{{ args.nested.b }}"',
    '',
  ].join('\n'),
  'tagged/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tagged\n  namespace: "{{ args.namespace }}"\n',
  'sub/deployment.yaml': stringify({ deployments: [{ path: 'cms' }] }),
  'sub/cms/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\n  namespace: "{{ args.namespace }}"\n',
  'helm/helm-chart.yaml': stringify({
    helmChart: { path: '../charts/test-chart', releaseName: 'hello', namespace: '{{ args.namespace }}' },
  }),
};

let project: string;
let work: string;
let ns: string;
let kubeconfig: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ks-cli-render-'));
  project = join(work, 'project');
  writeFiles(project, FILES);
  await cp(CHART, join(project, 'charts/test-chart'), { recursive: true });
  // A Git checkout, as users run render in one (Kluctl names item dirs from the repository root).
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'init'],
  ])
    execFileSync('git', args, { cwd: project, stdio: 'ignore' });
  ns = await createTestNamespace('cli-render');
  // The test cluster's kubeconfig plus a second context `cli-other` for the same cluster.
  const kc = parse(await readFile(testEnv().kubeconfigPath, 'utf8')) as {
    contexts: { name: string; context: Record<string, unknown> }[];
    'current-context': string;
  };
  const current = kc.contexts.find((c) => c.name === kc['current-context'])!;
  kc.contexts.push({ name: 'cli-other', context: { ...current.context } });
  kubeconfig = join(work, 'kubeconfig');
  await writeFile(kubeconfig, stringify(kc));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const offline = (...args: string[]): Promise<CliResult> =>
  cli([
    'render',
    ...projectFlags(project, { namespace: ns }),
    '--offline-kubernetes',
    '--print-all',
    ...args,
  ]);
const online = (...args: string[]): Promise<CliResult> =>
  cli(['render', ...projectFlags(project, { namespace: ns }), '--print-all', ...args]);

describe('render', () => {
  test('--print-all prints every object in deployment order (TestRenderPrintAll)', async () => {
    const r = await offline('-t', 'dev');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual([
      'ConfigMap/app',
      'ConfigMap/tagged',
      'ConfigMap/sub',
      'ConfigMap/hello-test-chart',
    ]);
    const app = find(r.stdout, 'app');
    expect(app.metadata.labels).toEqual({
      'kluctl.io/discriminator': `cli-dev-${ns}`,
      'kluctl.io/tag-0': 'app',
    });
    expect(app.data).toEqual({ target: 'dev', context: 'none', color: 'blue', nestedA: '1', nestedB: '2' });
  });

  test('-a nested paths, --args-from-file over -a, both over target args (args_test)', async () => {
    const file = join(work, 'args.yaml');
    await writeFile(file, 'color: green\nnested: {b: 20}\n');
    const r = await offline('-t', 'prod', '-a', 'nested.a=9', '--args-from-file', file);
    expect(r.code).toBe(0);
    expect(find(r.stdout, 'app').data).toMatchObject({ color: 'green', nestedA: '9', nestedB: '20' });
    const plain = await offline('-t', 'prod');
    expect(find(plain.stdout, 'app').data).toMatchObject({ color: 'red', nestedA: '1' });
  });

  test('-T renames the target for templates; the discriminator keeps the original name (no_target_test, discriminator_test)', async () => {
    const r = await offline('-t', 'dev', '-T', 'renamed');
    expect(r.code).toBe(0);
    const app = find(r.stdout, 'app');
    expect(app.data?.target).toBe('renamed');
    expect(app.metadata.labels?.['kluctl.io/discriminator']).toBe(`cli-dev-${ns}`);
  });

  test('-I/-E: exclude wins over include; default tags are the item dir names (inclusion_test)', async () => {
    const r = await offline('-t', 'dev', '-I', 'extra', '-I', 'app', '-E', 'app');
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(['ConfigMap/tagged']);
    const noHelm = await offline('-t', 'dev', '-E', 'helm');
    expect(names(noHelm.stdout)).toEqual(['ConfigMap/app', 'ConfigMap/tagged', 'ConfigMap/sub']);
  });

  test('--include-deployment-dir/--exclude-deployment-dir select by item dir (inclusion_test)', async () => {
    const r = await offline(
      '-t',
      'dev',
      '--include-deployment-dir',
      'sub/cms',
      '--include-deployment-dir',
      'app',
      '--exclude-deployment-dir',
      'app',
    );
    expect(r.code).toBe(0);
    expect(names(r.stdout)).toEqual(['ConfigMap/sub']);
  });

  test('--render-output-dir receives the rendered items; without --print-all the dir is printed', async () => {
    const out = join(work, 'rendered');
    const r = await cli([
      'render',
      ...projectFlags(project, { target: 'dev', namespace: ns }),
      '--offline-kubernetes',
      '--render-output-dir',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Rendered into ${out}\n`);
    expect(r.stderr).toMatch(/^4 objects in 4 deployment items, objects hash [0-9a-f]{64}\n$/);
    expect(await readFile(join(out, 'app/cm.yaml'), 'utf8')).toContain(`namespace: "${ns}"`);
    expect(existsSync(join(out, 'helm'))).toBe(true);
  });

  test('--kubernetes-version is what helm charts see offline (helm_test offline kubeVersion)', async () => {
    const r = await offline('-t', 'dev', '--kubernetes-version', 'v1.27.3', '-I', 'helm');
    expect(r.code).toBe(0);
    expect(find(r.stdout, 'hello-test-chart').data?.kubeVersion).toBe('v1.27.3');
  });

  test('online: a target without context uses the current one, helm sees the cluster version (TestContextCurrent)', async () => {
    const r = await online('-t', 'dev', '--kubeconfig', kubeconfig);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(find(r.stdout, 'app').data?.context).toBe('default');
    expect(find(r.stdout, 'hello-test-chart').data?.kubeVersion).toMatch(/^v1\.34\.\d+/);
  });

  test("the target's context is used when --context is absent, --context wins over it (TestContext1, TestContextOverride)", async () => {
    const byTarget = await online('-t', 'other', '--kubeconfig', kubeconfig);
    expect(byTarget.code).toBe(0);
    expect(find(byTarget.stdout, 'app').data?.context).toBe('cli-other');
    const byFlag = await online('-t', 'dev', '--kubeconfig', kubeconfig, '--context', 'cli-other');
    expect(byFlag.code).toBe(0);
    expect(find(byFlag.stdout, 'app').data?.context).toBe('cli-other');
  });

  test('an unknown context is an error naming it (TestRenderNoKubeconfig)', async () => {
    const byTarget = await online('-t', 'badctx', '--kubeconfig', kubeconfig);
    expect(byTarget.code).toBe(1);
    expect(byTarget.stderr).toContain('context "does-not-exist" does not exist');
    const byFlag = await online('-t', 'dev', '--kubeconfig', kubeconfig, '--context', 'nope');
    expect(byFlag.code).toBe(1);
    expect(byFlag.stderr).toContain('context "nope" does not exist');
  });

  test('without a usable kubeconfig render warns and works offline (TestRenderNoKubeconfig)', async () => {
    const r = await cli(
      ['render', ...projectFlags(project, { target: 'dev', namespace: ns }), '--print-all'],
      { KUBECONFIG: join(work, 'missing-kubeconfig') },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'No valid KUBECONFIG provided, which means the Kubernetes client is not available',
    );
    expect(names(r.stdout)).toContain('ConfigMap/app');
  });
});

describe('source root', () => {
  test('item dirs are named from the Git repository root when the project is a sub-folder of it', async () => {
    const r = await cli([
      'render',
      ...projectFlags(join(project, 'sub'), { namespace: ns }),
      '--offline-kubernetes',
      '--print-all',
    ]);
    expect(r.stderr).toBe('');
    expect(
      docs(r.stdout).map((o) => [o.metadata.name, o.metadata.annotations?.['kluctl.io/deployment-item-dir']]),
    ).toEqual([['sub', 'sub/cms']]);
  });

  test("outside a Git repository the project dir is the root, with Kluctl's warning", async () => {
    const plain = join(work, 'no-git');
    await cp(join(project, 'sub'), plain, { recursive: true });
    const r = await cli([
      'render',
      ...projectFlags(plain, { namespace: ns }),
      '--offline-kubernetes',
      '--print-all',
    ]);
    expect(r.stderr).toBe('warning: Failed to detect git project root. This might cause follow-up errors\n');
    expect(find(r.stdout, 'sub').metadata.annotations?.['kluctl.io/deployment-item-dir']).toBe('cms');
  });
});

describe('list-targets', () => {
  test('prints the rendered targets sorted by name as YAML, --only-names and -o write names to files', async () => {
    const all = await cli(['list-targets', ...projectFlags(project, { namespace: ns })]);
    expect(all.code).toBe(0);
    const targets = parse(all.stdout) as { name: string; context?: string }[];
    expect(targets.map((t) => t.name)).toEqual(['badctx', 'dev', 'other', 'prod']);
    expect(targets.find((t) => t.name === 'other')?.context).toBe('cli-other');

    const out1 = join(work, 'targets1.txt');
    const out2 = join(work, 'targets2.txt');
    const r = await cli([
      'list-targets',
      ...projectFlags(project, { namespace: ns }),
      '--only-names',
      '-o',
      out1,
      '-o',
      out2,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(await readFile(out1, 'utf8')).toBe('badctx\ndev\nother\nprod\n');
    expect(await readFile(out2, 'utf8')).toBe('badctx\ndev\nother\nprod\n');
  });
});

test('--help of every command exits 0 and shows its usage', async () => {
  const root = await cli(['--help']);
  expect(root.code).toBe(0);
  const section = root.stdout.split(/^Commands:$/m)[1] ?? '';
  const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
    .map((m) => m[1]!)
    .filter((c) => c !== 'help');
  expect(commands).toEqual(expect.arrayContaining(['render', 'deploy', 'list-targets', 'list-images']));
  const results = await Promise.all(commands.map((c) => cli([c, '--help'])));
  for (const [i, r] of results.entries()) {
    expect({ command: commands[i], code: r.code }).toEqual({ command: commands[i], code: 0 });
    expect(r.stdout).toContain(`Usage: kluctl-serverless ${commands[i]}`);
  }
  // One CLI start per command, all at once: on two busy cores that takes longer than one test usually may.
}, 180_000);
