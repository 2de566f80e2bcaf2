/**
 * Helm charts from a real OCI registry (CNCF Distribution, devenv/oci-registry.ts; charts pushed with
 * the real `helm push`): render-time pulls, helm-pull into Kluctl's `.helm-charts` layout, registry
 * credentials from flags and environment matched by host and repository, and helm-update over the
 * registry's tag list. Scenarios follow Kluctl's e2e/helm_test.go (TestHelmPull/TestHelmPrePull/
 * TestHelmPullCredsViaEnv `oci-*` cases, TestHelmManualUpgradeOci, TestHelmUpdate*Oci,
 * TestHelmUpdateConstraintsOci).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { helmPullCommand } from '../../bin/commands/helm-pull.js';
import { helmUpdateCommand } from '../../bin/commands/helm-update.js';
import type { KubeObject } from '../../lib/ports.js';
import { buildHelmCredentials } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentialFlags, HelmCredentials } from '../../lib/credentials/helm-credentials.js';
import { helmPull } from '../../lib/project/helm/helm-pull.js';
import { helmUpdate } from '../../lib/project/helm/helm-update.js';
import { renderProject } from '../../lib/project/render-project.js';
import { toolPath } from '../../devenv/tools.js';
import { TempDirs } from '../support/files.js';
import { commitHelmProject, setHelmChartField, writeHelmProject } from '../support/helm-project.js';
import { startOciRegistry } from '../../devenv/oci-registry.js';
import type { TestOciRegistry } from '../../devenv/oci-registry.js';

const helmPath = toolPath('helm');
const temps = new TempDirs('helm-oci-');
const registries: TestOciRegistry[] = [];
let plain: TestOciRegistry;
let secured: TestOciRegistry;
const USER = 'test-user';
const PASSWORD = 'secret-password';
/** Kluctl's cases use "invalid"; a distinctive value makes "not in the message" meaningful. */
const WRONG_PASSWORD = 'wrong-pw-4711';

beforeAll(async () => {
  const v = (name: string, versions: string[]): { name: string; version: string }[] =>
    versions.map((version) => ({ name, version }));
  [plain, secured] = await Promise.all([
    startOciRegistry({
      charts: [...v('test-chart1', ['0.1.0', '0.2.0']), ...v('test-chart2', ['0.1.0', '0.3.0'])],
    }),
    startOciRegistry({ charts: v('test-chart1', ['0.1.0']), auth: { username: USER, password: PASSWORD } }),
  ]);
  registries.push(plain, secured);
}, 120_000);
afterAll(async () => {
  await Promise.all(registries.map((r) => r.close()));
  temps.removeAll();
});

const tempDir = (prefix: string): string => temps.make(prefix);

/** A project like Kluctl's AddHelmDeployment: one item per chart, kustomization listing the output. */
const project = (charts: Record<string, Record<string, unknown>>): string =>
  writeHelmProject(tempDir('helm-oci-'), charts);

const ociChart = (
  reg: TestOciRegistry,
  name: string,
  version: string,
  release: string,
): Record<string, unknown> => ({
  repo: reg.chartUrl(name),
  chartVersion: version,
  releaseName: release,
});

/** `.helm-charts/oci_<port>_127.0.0.1/<chart>[/<version>]`, Kluctl's getChartDir for OCI. */
const ociDir = (base: string, reg: TestOciRegistry, chart: string, version = ''): string =>
  join(base, `oci_${reg.port}_127.0.0.1`, chart, version);
const versionsIn = (dir: string, reg: TestOciRegistry, chart: string): string[] =>
  readdirSync(ociDir(join(dir, '.helm-charts'), reg, chart))
    .filter((n) => !n.startsWith('.'))
    .sort();
/** Kluctl's tests always add `--registry-plain-http=<host>` as the fallback entry. */
const plainHttp = (reg: TestOciRegistry): HelmCredentials =>
  buildHelmCredentials({ registryPlainHttp: [reg.host] });
const render = (projectDir: string, credentials: HelmCredentials, cacheDir?: string) =>
  renderProject({
    projectDir,
    renderDir: tempDir('helm-oci-render-'),
    helm: { credentials, cacheDir: cacheDir ?? tempDir('helm-oci-cache-') },
  });
const versions = (objs: readonly KubeObject[]): string[] =>
  objs.map((o) => `${o.metadata.name}@${(o.data as { version: string }).version}`);
const failure = (p: Promise<unknown>): Promise<Error | undefined> =>
  p.then(
    () => undefined,
    (e: Error) => e,
  );

test('TestHelmPull oci-no-creds: skipPrePull pulls the oci:// chart at render time into the cache', async () => {
  const dir = project({
    helm1: { ...ociChart(plain, 'test-chart1', '0.1.0', 'test-helm1'), skipPrePull: true },
  });
  const cache = tempDir('helm-oci-cache-');
  const r = await render(dir, plainHttp(plain), cache);
  expect(versions(r.objects)).toEqual(['test-helm1-test-chart1@0.1.0']);
  expect(
    existsSync(join(ociDir(join(cache, 'helm-charts'), plain, 'test-chart1', '0.1.0'), 'Chart.yaml')),
  ).toBe(true);
  expect(existsSync(join(dir, '.helm-charts'))).toBe(false);
});

test('TestHelmPrePull oci-no-creds / TestHelmManualUpgradeOci: helm-pull into .helm-charts/oci_<port>_<host>/<chart>/<version>', async () => {
  const dir = project({ helm1: ociChart(plain, 'test-chart1', '0.1.0', 'test-helm1') });
  const creds = plainHttp(plain);
  const pulled = await helmPull({ projectDir: dir, helmPath, credentials: creds, force: true });
  expect(pulled.messages).toEqual(['test-chart1: Pulling Chart with version 0.1.0']);
  expect(readdirSync(join(dir, '.helm-charts'))).toEqual([`oci_${plain.port}_127.0.0.1`]);
  expect(
    parse(
      readFileSync(
        join(ociDir(join(dir, '.helm-charts'), plain, 'test-chart1', '0.1.0'), 'Chart.yaml'),
        'utf8',
      ),
    ),
  ).toMatchObject({ name: 'test-chart1', version: '0.1.0' });
  // The pre-pulled chart renders without any registry access (no credentials, no plain-HTTP entry).
  expect(versions((await render(dir, buildHelmCredentials({}))).objects)).toEqual([
    'test-helm1-test-chart1@0.1.0',
  ]);

  setHelmChartField(dir, 'helm1', 'chartVersion', '0.2.0');
  const stale = await failure(render(dir, creds));
  expect(stale?.message).toContain(
    "Helm Chart test-chart1 has not been pre-pulled, which is not allowed when skipPrePull is not enabled. Run 'kluctl helm-pull' to pre-pull all Helm Charts",
  );
  expect((await helmPull({ projectDir: dir, helmPath, credentials: creds, force: true })).messages).toEqual([
    'Removing unused Chart with version 0.1.0',
    'test-chart1: Pulling Chart with version 0.2.0',
  ]);
  expect(versionsIn(dir, plain, 'test-chart1')).toEqual(['0.2.0']);
  expect(versions((await render(dir, creds)).objects)).toEqual(['test-helm1-test-chart1@0.2.0']);
});

/** Kluctl's `oci-creds-*` cases: [name, host suffix, repository glob, password, expected error]. */
const credCases: [string, string, string, string, string | undefined][] = [
  ['oci-creds-missing', '-invalid', '', PASSWORD, 'basic credential not found'],
  ['oci-creds-invalid', '', '', WRONG_PASSWORD, '401'],
  ['oci-creds-valid', '', '', PASSWORD, undefined],
  ['oci-creds-missing-path', '', 'test-chart2', PASSWORD, 'basic credential not found'],
  ['oci-creds-invalid-path', '', 'test-chart1', WRONG_PASSWORD, '401'],
  ['oci-creds-valid-path', '', 'test-chart1', PASSWORD, undefined],
];

describe('TestHelmPrePull oci-creds-*: helm-pull with --registry-* flags', () => {
  it.each(credCases.map((c, i) => [...c, i] as const))(
    '%s',
    async (_n, suffix, repoPath, password, error, i) => {
      const dir = project({ helm1: ociChart(secured, 'test-chart1', '0.1.0', 'test-helm1') });
      const key = `${secured.host}${suffix}${repoPath ? `/${repoPath}` : ''}`;
      // Like Kluctl's test, alternate between --registry-creds and --registry-username/--registry-password.
      const creds: HelmCredentialFlags =
        i % 2 === 0
          ? { registryCreds: [`${key}=${USER}:${password}`] }
          : { registryUsername: [`${key}=${USER}`], registryPassword: [`${key}=${password}`] };
      const result = helmPullCommand({
        projectDir: dir,
        ...creds,
        registryPlainHttp: [key, ...(repoPath ? [`${secured.host}/${repoPath}`] : []), secured.host],
      });
      const chartYaml = join(
        ociDir(join(dir, '.helm-charts'), secured, 'test-chart1', '0.1.0'),
        'Chart.yaml',
      );
      if (error === undefined) {
        await result;
        expect(existsSync(chartYaml)).toBe(true);
        return;
      }
      const err = await failure(result);
      expect(err?.message).toContain(
        'test-chart1: helm failed while pulling chart test-chart1 version 0.1.0',
      );
      expect(err?.message).toContain(error);
      expect(err?.message).toContain(
        error === '401'
          ? 'used the credentials given for'
          : `no credentials match ${secured.host}/test-chart1`,
      );
      expect(err?.message).not.toContain(password);
      // A failed pull leaves no half-written chart behind.
      expect(existsSync(chartYaml)).toBe(false);
    },
  );
});

describe('TestHelmPullCredsViaEnv oci-creds-*: KLUCTL_REGISTRY_* sets at render time', () => {
  it.each(credCases)('%s', async (_n, suffix, repoPath, password, error) => {
    const dir = project({
      helm1: { ...ociChart(secured, 'test-chart1', '0.1.0', 'test-helm1'), skipPrePull: true },
    });
    const creds = buildHelmCredentials(
      {},
      {
        KLUCTL_REGISTRY_HOST: `${secured.host}${suffix}`,
        ...(repoPath ? { KLUCTL_REGISTRY_REPOSITORY: repoPath } : {}),
        KLUCTL_REGISTRY_USERNAME: USER,
        KLUCTL_REGISTRY_PASSWORD: password,
        KLUCTL_REGISTRY_PLAIN_HTTP: 'true',
        // The fallback set that only switches to plain HTTP, as in Kluctl's test.
        KLUCTL_REGISTRY_1_HOST: secured.host,
        KLUCTL_REGISTRY_1_PLAIN_HTTP: 'true',
      },
    );
    const result = render(dir, creds);
    if (error === undefined) {
      expect(versions((await result).objects)).toEqual(['test-helm1-test-chart1@0.1.0']);
      return;
    }
    const err = await failure(result);
    expect(err?.message).toContain('rendering helm chart test-chart1 for release test-helm1 has failed');
    expect(err?.message).toContain(error);
    expect(err?.message).not.toContain(password);
  });
});

test('TestHelmUpdateOci / TestHelmUpdateAndUpgradeAndCommitOci: tags from the registry, --upgrade --commit', async () => {
  const dir = project({
    helm1: ociChart(plain, 'test-chart1', '0.1.0', 'test-helm1'),
    helm2: ociChart(plain, 'test-chart2', '0.1.0', 'test-helm2'),
    helm3: { ...ociChart(plain, 'test-chart1', '0.1.0', 'test-helm3'), skipUpdate: true },
  });
  const opts = { projectDir: dir, helmPath, credentials: plainHttp(plain) };
  await helmPull({ ...opts, force: true });
  const check = await helmUpdate(opts);
  expect(check.messages).toEqual(
    expect.arrayContaining([
      'helm1: Chart test-chart1 (old version 0.1.0) has new version 0.2.0 available',
      'helm2: Chart test-chart2 (old version 0.1.0) has new version 0.3.0 available',
      'helm3: Skipped update to version 0.2.0',
    ]),
  );
  expect(versionsIn(dir, plain, 'test-chart1')).toEqual(['0.1.0']);
  expect(versionsIn(dir, plain, 'test-chart2')).toEqual(['0.1.0']);

  // --upgrade --commit through the CLI command, in a clean git worktree with .helm-charts committed.
  const git = commitHelmProject(dir);
  await helmUpdateCommand({ projectDir: dir, upgrade: true, commit: true, registryPlainHttp: [plain.host] });
  expect(versionsIn(dir, plain, 'test-chart1')).toEqual(['0.1.0', '0.2.0']);
  expect(versionsIn(dir, plain, 'test-chart2')).toEqual(['0.3.0']);
  expect(git('log', '--format=%s').trim().split('\n').slice(0, 2).sort()).toEqual([
    'Updated helm chart test-chart1 from version 0.1.0 to version 0.2.0',
    'Updated helm chart test-chart2 from version 0.1.0 to version 0.3.0',
  ]);
  expect(git('status', '--porcelain')).toBe('');
  expect(versions((await render(dir, plainHttp(plain))).objects)).toEqual([
    'test-helm1-test-chart1@0.2.0',
    'test-helm2-test-chart2@0.3.0',
    'test-helm3-test-chart1@0.1.0',
  ]);
});

test('TestHelmUpdateConstraintsOci: the newest tag matching updateConstraints, pulled by --upgrade', async () => {
  const reg = await startOciRegistry({
    charts: ['0.1.0', '0.1.1', '0.2.0', '1.1.0', '1.1.1', '1.2.1', '1.3.0-rc.1'].map((version) => ({
      name: 'test-chart1',
      version,
    })),
  });
  registries.push(reg);
  const c = (rel: string, constraints: string): Record<string, unknown> => ({
    ...ociChart(reg, 'test-chart1', '0.1.0', rel),
    updateConstraints: constraints,
  });
  const dir = project({
    helm1: c('test-helm1', '~0.1.0'),
    helm2: c('test-helm2', '~0.2.0'),
    helm3: c('test-helm3', '~1.2.0'),
    helm4: ociChart(reg, 'test-chart1', '0.1.0', 'test-helm4'),
  });
  const r = await helmUpdate({ projectDir: dir, helmPath, credentials: plainHttp(reg), upgrade: true });
  expect(r.messages).toEqual(
    expect.arrayContaining([
      'helm1: Chart test-chart1 (old version 0.1.0) has new version 0.1.1 available',
      'helm2: Chart test-chart1 (old version 0.1.0) has new version 0.2.0 available',
      'helm3: Chart test-chart1 (old version 0.1.0) has new version 1.2.1 available',
      // No constraint: the newest release; the pre-release tag is ignored.
      'helm4: Chart test-chart1 (old version 0.1.0) has new version 1.2.1 available',
    ]),
  );
  const chartVersion = (item: string): unknown =>
    (
      parse(readFileSync(join(dir, item, 'helm-chart.yaml'), 'utf8')) as {
        helmChart: Record<string, unknown>;
      }
    ).helmChart.chartVersion;
  expect(['helm1', 'helm2', 'helm3', 'helm4'].map(chartVersion)).toEqual([
    '0.1.1',
    '0.2.0',
    '1.2.1',
    '1.2.1',
  ]);
  expect(versionsIn(dir, reg, 'test-chart1')).toEqual(['0.1.1', '0.2.0', '1.2.1']);
});

test('helm-update against a registry with basic auth: tags listed with matching credentials only', async () => {
  const dir = project({ helm1: ociChart(secured, 'test-chart1', '0.0.1', 'test-helm1') });
  const ok = await helmUpdate({
    projectDir: dir,
    helmPath,
    credentials: buildHelmCredentials({ registryCreds: [`${secured.host}/test-chart1=${USER}:${PASSWORD}`] }),
  });
  expect(ok.messages).toContain(
    'helm1: Chart test-chart1 (old version 0.0.1) has new version 0.1.0 available',
  );

  for (const creds of [
    buildHelmCredentials({ registryCreds: [`${secured.host}=${USER}:${WRONG_PASSWORD}`] }),
    buildHelmCredentials({ registryCreds: [`${secured.host}/other=${USER}:${PASSWORD}`] }),
  ]) {
    const err = await failure(helmUpdate({ projectDir: dir, helmPath, credentials: creds }));
    expect(err?.message).toContain(`listing tags of ${secured.chartUrl('test-chart1')} failed: 401`);
    expect(err?.message).not.toContain(WRONG_PASSWORD);
    expect(err?.message).not.toContain(PASSWORD);
  }
});
