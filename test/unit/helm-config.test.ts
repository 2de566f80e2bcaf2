/**
 * Pure parts of the Helm support: helm-chart.yaml validation matrix (kluctl-semantics §4.2), the
 * `.helm-charts` layout (§4.5), Masterminds-style constraints (§4.7) and credential matching (§4.8).
 */
import { ProjectLoadError } from '../../lib/errors.js';
import { chartVersionDir, remoteChartOf, versionString } from '../../lib/project/helm/chart-layout.js';
import { parseHelmChartConfig, validateHelmChartConfig } from '../../lib/project/helm/helm-chart-config.js';
import type { HelmChartConfig } from '../../lib/project/helm/helm-chart-config.js';
import { buildHelmCredentials, findHelmCredential } from '../../lib/credentials/helm-credentials.js';
import { latestVersion } from '../../lib/project/helm/helm-update.js';

const rel = { releaseName: 'r' };
const repo = 'http://127.0.0.1:5000/charts';

describe('helm-chart.yaml validation matrix', () => {
  it.each<[string, Partial<HelmChartConfig>, string[]]>([
    ['repo + chartName + chartVersion', { ...rel, repo, chartName: 'c', chartVersion: '1.0.0' }, []],
    ['no source', { ...rel }, ['either repo, path or git must be specified']],
    [
      'repo and path',
      { ...rel, repo, path: 'x', chartName: 'c' },
      ['only one of repo, path and git can be specified'],
    ],
    [
      'path and git',
      { ...rel, path: 'x', git: { url: 'https://h/r' } },
      ['only one of repo, path and git can be specified'],
    ],
    [
      'repo without version',
      { ...rel, repo, chartName: 'c' },
      ['chartVersion must be specified when repo is specified'],
    ],
    [
      'repo without chartName',
      { ...rel, repo, chartVersion: '1.0.0' },
      ['chartName must be specified when repo is normal Helm repo'],
    ],
    [
      'oci with chartName',
      { ...rel, repo: 'oci://r/c', chartName: 'c', chartVersion: '1.0.0' },
      ['chartName can not be specified when repo is a OCI url'],
    ],
    ['oci', { ...rel, repo: 'oci://r/c', chartVersion: '1.0.0' }, []],
    ['path', { ...rel, path: '../chart' }, []],
    [
      'path with chartName',
      { ...rel, path: 'c', chartName: 'c' },
      ['chartName can not be specified for local Helm charts'],
    ],
    [
      'path with chartVersion',
      { ...rel, path: 'c', chartVersion: '1.0.0' },
      ['chartVersion can not be specified for local Helm charts'],
    ],
    [
      'path with constraints',
      { ...rel, path: 'c', updateConstraints: '~1' },
      ['updateConstraints can not be specified for local Helm charts'],
    ],
    ['absolute path', { ...rel, path: '/abs' }, ['absolute path is not allowed in helm-chart.yaml']],
    ['git', { ...rel, git: { url: 'https://h/r', ref: { tag: '1.0.0' } } }, []],
    [
      'git with an empty ref',
      { ...rel, git: { url: 'https://h/r', ref: {} } },
      ['either branch, tag or commit must be set'],
    ],
    [
      'git with two ref fields',
      { ...rel, git: { url: 'https://h/r', ref: { tag: '1', branch: 'b' } } },
      ['only one of the ref fields can be set'],
    ],
    [
      'git with chartName',
      { ...rel, git: { url: 'https://h/r' }, chartName: 'c' },
      ['chartName can not be specified for git Helm charts'],
    ],
    [
      'git with chartVersion',
      { ...rel, git: { url: 'https://h/r' }, chartVersion: '1.0.0' },
      ['chartVersion can not be specified for git Helm charts'],
    ],
    ['no releaseName', { repo, chartName: 'c', chartVersion: '1.0.0' }, ['releaseName is required']],
    [
      'bad version',
      { ...rel, repo, chartName: 'c', chartVersion: 'latest' },
      ["invalid chart version 'latest'"],
    ],
  ])('%s', (_name, config, errors) => {
    expect(validateHelmChartConfig(config)).toEqual(errors);
  });

  it('decodes strictly: an unknown field names file and line', () => {
    expect(() =>
      parseHelmChartConfig('helmChart:\n  releaseName: r\n  path: c\n  bogus: 1\n', 'a/helm-chart.yaml'),
    ).toThrow(
      new ProjectLoadError('unknown field "bogus" in helmChart', {
        file: 'a/helm-chart.yaml',
        line: 4,
        column: 3,
      }),
    );
  });

  it('accepts git as a plain URL', () => {
    expect(
      parseHelmChartConfig('helmChart:\n  releaseName: r\n  git: https://h/x/my-chart.git\n', 'f').git,
    ).toEqual({
      url: 'https://h/x/my-chart.git',
    });
  });
});

describe('.helm-charts layout (TestHelmSkipPrePull paths)', () => {
  const dir = (c: Partial<HelmChartConfig>): string => {
    const config = { ...rel, ...c } as HelmChartConfig;
    const chart = remoteChartOf(config)!;
    const v = config.git
      ? { ...(config.git.ref ? { gitRef: config.git.ref } : {}) }
      : { version: config.chartVersion! };
    return chartVersionDir('/p/.helm-charts', chart, v);
  };
  it.each<[Partial<HelmChartConfig>, string]>([
    [
      { repo: 'http://127.0.0.1:5000', chartName: 'test-chart1', chartVersion: '0.1.0' },
      'http_5000_127.0.0.1/test-chart1/0.1.0',
    ],
    [
      { repo: 'https://Charts.Example.com/Stable', chartName: 'x', chartVersion: '1.2.3' },
      'https_charts.example.com/stable/x/1.2.3',
    ],
    [{ repo: 'http://h:80/p', chartName: 'x', chartVersion: '1' }, 'http_h/p/x/1'],
    [
      { repo: 'oci://127.0.0.1:5000/org/test-chart1', chartVersion: '0.1.0' },
      'oci_5000_127.0.0.1/org/test-chart1/0.1.0',
    ],
    [
      { git: { url: 'http://127.0.0.1:8080/repo.git', ref: { tag: '0.1.0' }, subDir: 'Test-Chart1' } },
      'git_http_8080_127.0.0.1/repo/test-chart1/refs/tags/0.1.0',
    ],
    [{ git: { url: 'https://h/r', ref: { branch: 'main' } } }, 'git_https_h/r/refs/heads/main'],
    [{ git: { url: 'https://h/r', ref: { commit: 'abc' } } }, 'git_https_h/r/HEAD'],
  ])('%j', (c, expected) => {
    expect(dir(c)).toBe(`/p/.helm-charts/${expected}`);
  });
  it('prints git versions as Kluctl does', () => {
    expect(versionString({ gitRef: { tag: '1.0.0' } })).toBe('refs/tags/1.0.0');
  });
});

describe('helm-update version choice (TestHelmUpdateConstraints)', () => {
  const versions = ['0.1.0', '0.1.1', '0.2.0', '1.1.0', '1.1.1', '1.2.1', '2.0.0-rc.1'];
  it.each<[string | undefined, string]>([
    [undefined, '1.2.1'],
    ['~0.1.0', '0.1.1'],
    ['~0.2.0', '0.2.0'],
    ['~1.2.0', '1.2.1'],
    ['^1.1', '1.2.1'],
    ['>= 1.0, < 1.2', '1.1.1'],
    ['1.1.x', '1.1.1'],
    ['0.1 || 1.1', '1.1.1'],
    ['>=2.0.0-0', '2.0.0-rc.1'],
    ['*', '1.2.1'],
  ])('constraint %s → %s', (c, expected) => {
    expect(latestVersion(versions, c)).toBe(expected);
  });
  it('names the constraint nothing satisfies', () => {
    expect(() => latestVersion(versions, '>5')).toThrow("no version found that satisfies constraints '>5'");
  });
});

describe('Helm credentials matching', () => {
  const creds = buildHelmCredentials(
    {
      helmUsername: ['127.0.0.1:1234/path1=u1'],
      helmPassword: ['127.0.0.1:1234/path1=p1'],
      helmCreds: ['127.0.0.1:1234=u2:p:2'],
    },
    {
      KLUCTL_HELM_HOST: 'h',
      KLUCTL_HELM_USERNAME: 'eu',
      KLUCTL_HELM_2_HOST: 'h2',
      KLUCTL_HELM_2_PATH: 'a/**',
    },
  );
  it.each<[string, string | undefined]>([
    ['http://127.0.0.1:1234/path1', 'u1'],
    ['http://127.0.0.1:1234/path2', 'u2'],
    ['http://127.0.0.1:9999/path1', undefined],
    ['https://h/x', 'eu'],
    ['https://h2/a/b/c', undefined],
  ])('%s → %s', (url, user) => {
    expect(findHelmCredential(creds, url)?.username).toBe(user);
  });
  it('splits --helm-creds at the first colon only', () => {
    expect(findHelmCredential(creds, 'http://127.0.0.1:1234/')?.password).toBe('p:2');
  });
  it('matches env sets with path globs', () => {
    expect(findHelmCredential(creds, 'https://h2/a/b/c')).toMatchObject({ host: 'h2', path: 'a/**' });
  });
  it('reads path globs as gobwas/glob does, and refuses a malformed one while reading the flags', () => {
    const alt = buildHelmCredentials({ helmCreds: ['h3/{charts,stable}/[!x]*=u3:p3'] });
    expect(findHelmCredential(alt, 'https://h3/stable/app')?.username).toBe('u3');
    expect(findHelmCredential(alt, 'https://h3/charts/xapp')).toBeUndefined();
    expect(() => buildHelmCredentials({ helmCreds: ['h3/[ab=u:p'] })).toThrow("invalid glob '[ab'");
  });
  it('names the flag whose value lacks `=`, without repeating the value', () => {
    expect(() => buildHelmCredentials({ helmCaFile: ['h3/ca.pem'] })).toThrow(
      "--helm-ca-file expects <host>/<path>=<value>; no '=' found",
    );
    expect(() => buildHelmCredentials({ registryPassword: ['s3cret'] })).toThrow(
      "--registry-password expects <host>/<path>=<value>; no '=' found",
    );
  });
});
