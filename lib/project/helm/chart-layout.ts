/**
 * Where pulled charts live (kluctl-semantics §4.5), byte for byte as Kluctl lays out `.helm-charts`
 * and its cache, so a project pre-pulled by Kluctl renders here and the other way round:
 * - classic repo: `<base>/<http|https>[_<port>]_<host>/<urlpath>/<chartName>/<version>/`
 * - OCI: `<base>/oci[_<port>]_<host>/<urlpath>/<version>/`
 * - git: `<base>/git_<scheme>[_<port>]_<host>/<repopath>/<subDir>/<refs/tags/x|refs/heads/x|HEAD>/`
 * Host and paths are lower-cased; default ports are omitted.
 */
import { statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ProjectLoadError } from '../../errors.js';
import type { GitRef } from '../../ports.js';
import { isInside } from '../paths.js';
import type { HelmChartConfig, HelmGitSource } from './helm-chart-config.js';
import { chartSourceKind, remoteChartName } from './helm-chart-config.js';

/** A chart that has to be pulled (classic repo, OCI or Git). */
export interface RemoteChart {
  readonly kind: 'repo' | 'oci' | 'git';
  /** Repo URL (classic or `oci://`). */
  readonly repo?: string;
  readonly git?: HelmGitSource;
  readonly name: string;
}

/** One version of a remote chart: a registry version or a Git ref. */
export interface ChartVersion {
  readonly version?: string;
  readonly gitRef?: GitRef;
}

/** The remote chart of a config (undefined for local charts). */
export function remoteChartOf(c: HelmChartConfig): RemoteChart | undefined {
  const kind = chartSourceKind(c);
  if (kind === 'path') return undefined;
  return {
    kind,
    ...(c.repo !== undefined ? { repo: c.repo } : {}),
    ...(c.git !== undefined ? { git: c.git } : {}),
    name: remoteChartName(c),
  };
}

/** The version a config asks for. */
export function wantedVersion(c: HelmChartConfig): ChartVersion {
  return c.git ? (c.git.ref ? { gitRef: c.git.ref } : {}) : { version: c.chartVersion ?? '' };
}

/** Kluctl's string form: the version, `refs/tags/x`, `refs/heads/x`, or `HEAD` (commits, default branch). */
export function versionString(v: ChartVersion): string {
  if (v.version !== undefined) return v.version;
  if (v.gitRef?.tag) return `refs/tags/${v.gitRef.tag}`;
  if (v.gitRef?.branch) return `refs/heads/${v.gitRef.branch}`;
  return 'HEAD';
}

/** A key identifying a chart across helm-chart.yaml files (repo and name). */
export function chartKey(c: RemoteChart): string {
  return `${c.repo ?? c.git?.url ?? ''} / ${c.git?.subDir ?? ''} / ${c.name}`;
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443', ssh: '22', git: '22' };

function registryDir(base: string, chart: RemoteChart): string {
  const u = new URL(chart.repo!);
  const scheme = u.protocol.replace(/:$/, '');
  if (!['oci', 'http', 'https'].includes(scheme))
    throw new ProjectLoadError(`unsupported scheme in ${chart.repo}`);
  const port = u.port && u.port !== DEFAULT_PORTS[scheme] ? `_${u.port}` : '';
  const dir = join(base, `${scheme}${port}_${u.hostname.toLowerCase()}`, u.pathname.toLowerCase());
  return scheme === 'oci' ? dir : join(dir, chart.name);
}

function gitDir(base: string, git: HelmGitSource): string {
  const u = new URL(git.url);
  const scheme = u.protocol.replace(/:$/, '');
  const port = u.port && u.port !== DEFAULT_PORTS[scheme] ? `_${u.port}` : '';
  let p = u.pathname.toLowerCase();
  if (!p.endsWith('/.git')) p = p.replace(/\.git$/, '');
  p = p.replace(/\/+$/, '');
  return join(base, `git_${scheme}${port}_${u.hostname.toLowerCase()}`, p, (git.subDir ?? '').toLowerCase());
}

/** The dir holding all versions of `chart` below `base`. */
export function chartBaseDir(base: string, chart: RemoteChart): string {
  const dir = chart.kind === 'git' ? gitDir(base, chart.git!) : registryDir(base, chart);
  if (!isInside(base, dir)) throw new ProjectLoadError(`chart dir of ${chart.name} escapes ${base}`);
  return dir;
}

/** The dir of one version of `chart` below `base`. */
export function chartVersionDir(base: string, chart: RemoteChart, v: ChartVersion): string {
  const dir = join(chartBaseDir(base, chart), ...versionString(v).split('/'));
  if (!isInside(base, dir)) throw new ProjectLoadError(`chart dir of ${chart.name} escapes ${base}`);
  return dir;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The nearest `.helm-charts` dir, walking up from the item dir (absolute) to the source root;
 * undefined when there is none.
 */
export function findHelmChartsDir(sourceRoot: string, itemDir: string): string | undefined {
  let d = itemDir;
  for (;;) {
    const p = join(d, '.helm-charts');
    if (isDir(p)) return p;
    if (relative(sourceRoot, d) === '' || !isInside(sourceRoot, d)) return undefined;
    d = dirname(d);
  }
}
