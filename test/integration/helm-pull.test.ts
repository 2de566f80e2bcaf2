/**
 * helm-pull and helm-update against a chart repository served by the test, with the real pinned helm.
 * Scenarios follow Kluctl's e2e/helm_test.go (TestHelmSkipPrePull, TestHelmUpdate*, TestHelmPull
 * helm-creds-* cases, TestHelmPullCredsViaEnv).
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { helmUpdateCommand } from '../../bin/commands/helm-update.js';
import { buildHelmCredentials, noHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import { helmUpdate } from '../../lib/project/helm/helm-update.js';
import { renderProject } from '../../lib/project/render-project.js';
import { toolPath } from '../../lib/tools.js';
import { startHelmRepo } from '../env/helm-repo.js';
import type { TestHelmRepo } from '../env/helm-repo.js';

const helmPath = toolPath('helm');
const temps: string[] = [];
const repos: TestHelmRepo[] = [];

afterAll(async () => {
  await Promise.all(repos.map((r) => r.close()));
  temps.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function repoWith(opts: Parameters<typeof startHelmRepo>[0]): Promise<TestHelmRepo> {
  const r = await startHelmRepo(opts);
  repos.push(r);
  return r;
}

function project(charts: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'helm-pull-'));
  temps.push(dir);
  const files: Record<string, string> = {
    '.kluctl.yaml': 'targets: []\n',
    'deployment.yaml': stringify({ deployments: Object.keys(charts).map((path) => ({ path })) }),
  };
  for (const [d, c] of Object.entries(charts)) {
    files[`${d}/kustomization.yaml`] = 'resources:\n- helm-rendered.yaml\n';
    files[`${d}/helm-chart.yaml`] = stringify({ helmChart: c });
  }
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

function setField(dir: string, item: string, field: string, value: unknown): void {
  const p = join(dir, item, 'helm-chart.yaml');
  const doc = parse(readFileSync(p, 'utf8')) as { helmChart: Record<string, unknown> };
  doc.helmChart[field] = value;
  writeFileSync(p, stringify(doc));
}

const pull = (
  projectDir: string,
  credentials: HelmCredentials = noHelmCredentials,
): ReturnType<typeof helmPull> => helmPull({ projectDir, helmPath, credentials, force: true });
const chartDir = (dir: string, repo: TestHelmRepo, name: string, v: string): string =>
  join(dir, `.helm-charts/http_${repo.port}_127.0.0.1/${name}/${v}`);
const versionsIn = (dir: string, repo: TestHelmRepo, name: string): string[] =>
  readdirSync(join(dir, `.helm-charts/http_${repo.port}_127.0.0.1/${name}`))
    .filter((n) => !n.startsWith('.'))
    .sort();

test('TestHelmSkipPrePull: only charts without skipPrePull are pulled; unused versions are removed', async () => {
  const repo = await repoWith({
    charts: ['0.1.0', '0.1.1', '0.2.0'].map((version) => ({ name: 'test-chart1', version })),
  });
  const c = (v: string, rel: string): Record<string, unknown> => ({
    repo: repo.url,
    chartName: 'test-chart1',
    chartVersion: v,
    releaseName: rel,
  });
  const dir = project({
    helm1: c('0.1.0', 'test-helm1'),
    helm2: { ...c('0.1.1', 'test-helm2'), skipPrePull: true },
  });
  const d = (v: string): string => chartDir(dir, repo, 'test-chart1', v);

  let r = await pull(dir);
  expect(r.messages).toEqual(['test-chart1: Pulling Chart with version 0.1.0']);
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1'))]).toEqual([true, false]);

  setField(dir, 'helm1', 'skipPrePull', true);
  r = await pull(dir);
  expect(r.messages).toEqual(['Removing unused Chart with version 0.1.0']);
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1'))]).toEqual([false, false]);

  setField(dir, 'helm2', 'skipPrePull', false);
  r = await pull(dir);
  expect(r.messages).toEqual(['test-chart1: Pulling Chart with version 0.1.1']);
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1'))]).toEqual([false, true]);

  setField(dir, 'helm1', 'skipPrePull', false);
  r = await pull(dir);
  expect([...r.messages].sort()).toEqual([
    'test-chart1: Pulling Chart with version 0.1.0',
    'test-chart1: Pulling Chart with version 0.1.1',
  ]);

  // helm-update --upgrade --commit through the CLI command, in a clean git worktree.
  setField(dir, 'helm1', 'skipPrePull', true);
  await pull(dir);
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '-q');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'init');
  git('add', '-A');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'project');
  process.env.GIT_AUTHOR_NAME = process.env.GIT_COMMITTER_NAME = 't';
  process.env.GIT_AUTHOR_EMAIL = process.env.GIT_COMMITTER_EMAIL = 't@t';
  await helmUpdateCommand({ projectDir: dir, upgrade: true, commit: true });
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1')), existsSync(d('0.2.0'))]).toEqual([
    false,
    false,
    true,
  ]);
  expect(git('log', '--format=%s').trim().split('\n').slice(0, 2).sort()).toEqual([
    'Updated helm chart test-chart1 from version 0.1.0 to version 0.2.0',
    'Updated helm chart test-chart1 from version 0.1.1 to version 0.2.0',
  ]);
  expect(git('status', '--porcelain')).toBe('');
});

test('TestHelmUpdate / TestHelmUpdateAndUpgrade: messages, skipUpdate and pulled versions', async () => {
  const repo1 = await repoWith({
    charts: ['0.1.0', '0.2.0'].map((version) => ({ name: 'test-chart1', version })),
  });
  const repo2 = await repoWith({
    charts: ['0.1.0', '0.3.0'].map((version) => ({ name: 'test-chart2', version })),
  });
  const c = (repo: TestHelmRepo, name: string, rel: string): Record<string, unknown> => ({
    repo: repo.url,
    chartName: name,
    chartVersion: '0.1.0',
    releaseName: rel,
  });
  const dir = project({
    helm1: c(repo1, 'test-chart1', 'test-helm1'),
    helm2: c(repo2, 'test-chart2', 'test-helm2'),
    helm3: { ...c(repo1, 'test-chart1', 'test-helm3'), skipUpdate: true },
  });
  await pull(dir);
  const opts = { projectDir: dir, helmPath, credentials: noHelmCredentials };

  const check = await helmUpdate(opts);
  expect(check.messages).toEqual(
    expect.arrayContaining([
      'helm1: Chart test-chart1 (old version 0.1.0) has new version 0.2.0 available',
      'helm2: Chart test-chart2 (old version 0.1.0) has new version 0.3.0 available',
      'helm3: Skipped update to version 0.2.0',
    ]),
  );
  expect(versionsIn(dir, repo1, 'test-chart1')).toEqual(['0.1.0']);

  const up = await helmUpdate({ ...opts, upgrade: true });
  expect(up.messages).toEqual(
    expect.arrayContaining([
      'Upgrading Chart test-chart1 from version 0.1.0 to 0.2.0',
      'Upgrading Chart test-chart2 from version 0.1.0 to 0.3.0',
    ]),
  );
  expect(versionsIn(dir, repo1, 'test-chart1')).toEqual(['0.1.0', '0.2.0']);
  expect(versionsIn(dir, repo2, 'test-chart2')).toEqual(['0.3.0']);
  expect(readFileSync(join(dir, 'helm2/helm-chart.yaml'), 'utf8')).toContain('chartVersion: 0.3.0');
  // The upgraded project renders from the new pre-pulled versions.
  const r = await renderProject({ projectDir: dir, renderDir: join(dir, '.render') });
  expect(r.objects.map((o) => `${o.metadata.name}@${(o.data as { version: string }).version}`)).toEqual([
    'test-helm1-test-chart1@0.2.0',
    'test-helm2-test-chart2@0.3.0',
    'test-helm3-test-chart1@0.1.0',
  ]);
});

describe('TestHelmPull helm-creds-*: basic auth matched by host and path', () => {
  let repo: TestHelmRepo;
  let dir: string;
  beforeAll(async () => {
    repo = await repoWith({
      charts: [{ name: 'test-chart1', version: '0.1.0' }],
      path: 'path1',
      auth: { username: 'test-user', password: 'secret-password' },
    });
    dir = project({
      helm1: { repo: repo.url, chartName: 'test-chart1', chartVersion: '0.1.0', releaseName: 'test-helm1' },
    });
  });
  const host = (): string => `127.0.0.1:${repo.port}`;

  it.each<[string, (h: string) => Parameters<typeof buildHelmCredentials>[0], boolean]>([
    ['helm-creds-missing', (h) => ({ helmCreds: [`${h}-invalid=test-user:secret-password`] }), false],
    [
      'helm-creds-invalid',
      (h) => ({ helmUsername: [`${h}=test-user`], helmPassword: [`${h}=invalid`] }),
      false,
    ],
    ['helm-creds-missing-path', (h) => ({ helmCreds: [`${h}/path2=test-user:secret-password`] }), false],
    ['helm-creds-valid-path', (h) => ({ helmCreds: [`${h}/path1=test-user:secret-password`] }), true],
    [
      'helm-creds-valid',
      (h) => ({ helmUsername: [`${h}=test-user`], helmPassword: [`${h}=secret-password`] }),
      true,
    ],
  ])('%s', async (_name, flags, ok) => {
    rmSync(join(dir, '.helm-charts'), { recursive: true, force: true });
    const result = pull(dir, buildHelmCredentials(flags(host())));
    if (ok) {
      await result;
      expect(
        existsSync(
          join(
            chartDir(dir, repo, 'test-chart1', '0.1.0').replace('127.0.0.1/', '127.0.0.1/path1/'),
            'Chart.yaml',
          ),
        ),
      ).toBe(true);
    } else {
      const err = await result.then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err?.message).toContain('401 Unauthorized');
      // Only the cause, not helm's progress chatter around it.
      expect(err?.message).not.toContain('Hang tight');
      expect(err?.message).not.toContain('secret-password');
      expect(err?.message).not.toContain('invalid');
    }
  });

  it('TestHelmPullCredsViaEnv: KLUCTL_HELM_* sets', async () => {
    rmSync(join(dir, '.helm-charts'), { recursive: true, force: true });
    const creds = buildHelmCredentials(
      {},
      {
        KLUCTL_HELM_HOST: host(),
        KLUCTL_HELM_PATH: 'path1',
        KLUCTL_HELM_USERNAME: 'test-user',
        KLUCTL_HELM_PASSWORD: 'secret-password',
      },
    );
    await pull(dir, creds);
    // skipPrePull renders pull with the same credentials at render time.
    setField(dir, 'helm1', 'skipPrePull', true);
    const r = await renderProject({
      projectDir: dir,
      renderDir: join(dir, '.render'),
      helm: { credentials: creds, cacheDir: join(dir, '.cache') },
    });
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['test-helm1-test-chart1']);
    setField(dir, 'helm1', 'skipPrePull', false);
  });
});
