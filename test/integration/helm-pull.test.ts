/**
 * helm-pull and helm-update against a chart repository served by the test, with the real pinned helm.
 * Scenarios follow Kluctl's e2e/helm_test.go (TestHelmSkipPrePull, TestHelmUpdate*, TestHelmPull
 * helm-creds-* cases, TestHelmPullCredsViaEnv).
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { helmUpdateCommand } from '../../bin/commands/helm-update.js';
import { buildHelmCredentials, noHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import { helmUpdate } from '../../lib/project/helm/helm-update.js';
import { renderProject } from '../../lib/project/render-project.js';
import { toolPath } from '../../devenv/tools.js';
import { TempDirs } from '../support/files.js';
import { commitHelmProject, setHelmChartField, writeHelmProject } from '../support/helm-project.js';
import { startHelmRepo } from '../../devenv/helm-repo.js';
import type { TestHelmRepo } from '../../devenv/helm-repo.js';

const helmPath = toolPath('helm');
const temps = new TempDirs('helm-pull-');
const repos: TestHelmRepo[] = [];

afterAll(async () => {
  await Promise.all(repos.map((r) => r.close()));
  temps.removeAll();
});

async function repoWith(opts: Parameters<typeof startHelmRepo>[0]): Promise<TestHelmRepo> {
  const r = await startHelmRepo(opts);
  repos.push(r);
  return r;
}

function project(charts: Record<string, Record<string, unknown>>): string {
  return writeHelmProject(temps.make(), charts);
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

  setHelmChartField(dir, 'helm1', 'skipPrePull', true);
  r = await pull(dir);
  expect(r.messages).toEqual(['Removing unused Chart with version 0.1.0']);
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1'))]).toEqual([false, false]);

  setHelmChartField(dir, 'helm2', 'skipPrePull', false);
  r = await pull(dir);
  expect(r.messages).toEqual(['test-chart1: Pulling Chart with version 0.1.1']);
  expect([existsSync(d('0.1.0')), existsSync(d('0.1.1'))]).toEqual([false, true]);

  setHelmChartField(dir, 'helm1', 'skipPrePull', false);
  r = await pull(dir);
  expect([...r.messages].sort()).toEqual([
    'test-chart1: Pulling Chart with version 0.1.0',
    'test-chart1: Pulling Chart with version 0.1.1',
  ]);

  // helm-update --upgrade --commit through the CLI command, in a clean git worktree.
  setHelmChartField(dir, 'helm1', 'skipPrePull', true);
  await pull(dir);
  const git = commitHelmProject(dir);
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
    setHelmChartField(dir, 'helm1', 'skipPrePull', true);
    const r = await renderProject({
      projectDir: dir,
      renderDir: join(dir, '.render'),
      helm: { credentials: creds, cacheDir: join(dir, '.cache') },
    });
    expect(r.objects.map((o) => o.metadata.name)).toEqual(['test-helm1-test-chart1']);
    setHelmChartField(dir, 'helm1', 'skipPrePull', false);
  });
});
