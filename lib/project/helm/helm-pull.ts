/**
 * `helm-pull` (kluctl-semantics §4.6): collects every helm-chart.yaml of a project (raw, not templated),
 * pulls each required version of each remote chart into `<projectDir>/.helm-charts`, and removes the
 * versions no helm-chart.yaml asks for any more.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { KsError } from '../../errors.js';
import type { Progress } from '../../ports.js';
import { silentProgress } from '../../ports.js';
import { findConfigFile, toSlash } from '../paths.js';
import type { ChartVersion, RemoteChart } from './chart-layout.js';
import {
  chartBaseDir,
  chartKey,
  chartVersionDir,
  remoteChartOf,
  versionString,
  wantedVersion,
} from './chart-layout.js';
import { pullChart } from './chart-pull.js';
import type { ChartPullDeps } from './chart-pull.js';
import type { HelmChartConfig } from './helm-chart-config.js';
import { HELM_CHART_NAMES, parseHelmChartConfig } from './helm-chart-config.js';

/** One helm-chart.yaml of a project with a remote chart. */
export interface HelmRelease {
  /** Absolute path of the helm-chart.yaml. */
  readonly file: string;
  /** Its dir relative to the project dir, forward slashes ("." for the root). */
  readonly relDir: string;
  readonly config: HelmChartConfig;
  readonly chart: RemoteChart;
}

/** Options of {@link helmPull}. */
export interface HelmPullOptions extends ChartPullDeps {
  readonly projectDir: string;
  /** Progress lines (Kluctl's status messages). Default: dropped. */
  readonly progress?: Progress;
}

/** What a pull did (or, for a dry run, would do). */
export interface HelmPullResult {
  /** Versions pulled plus versions removed. */
  readonly actions: number;
  readonly messages: readonly string[];
}

/** Throws Kluctl's error when `dir` is not the root of a project or library. */
export function requireProjectRoot(dir: string, command: string): void {
  if (!findConfigFile(dir, ['.kluctl.yml', '.kluctl.yaml', '.kluctl-library.yml', '.kluctl-library.yaml']))
    throw new KsError(
      'InvalidInput',
      `${command} can only be used on the root of a Kluctl project that must have a .kluctl.yaml or .kluctl-library.yaml file`,
    );
}

async function findHelmChartFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== '.git' && e.name !== '.helm-charts')
      out.push(...(await findHelmChartFiles(p)));
    else if (e.isFile() && HELM_CHART_NAMES.includes(e.name.toLowerCase())) out.push(p);
  }
  return out;
}

/** Every helm-chart.yaml of the project with a remote chart, parsed without templating. */
export async function loadHelmReleases(projectDir: string): Promise<HelmRelease[]> {
  const releases: HelmRelease[] = [];
  for (const file of await findHelmChartFiles(projectDir)) {
    const relDir = toSlash(relative(projectDir, dirname(file))) || '.';
    const config = parseHelmChartConfig(await readFile(file, 'utf8'), toSlash(relative(projectDir, file)));
    const chart = remoteChartOf(config);
    if (chart) releases.push({ file, relDir, config, chart });
  }
  return releases;
}

/** Releases grouped by chart (repo and name), in first-seen order. */
export function groupByChart(releases: readonly HelmRelease[]): Map<string, HelmRelease[]> {
  const m = new Map<string, HelmRelease[]>();
  for (const r of releases) m.set(chartKey(r.chart), [...(m.get(chartKey(r.chart)) ?? []), r]);
  return m;
}

async function removeUnused(
  chart: RemoteChart,
  wanted: ReadonlyMap<string, ChartVersion>,
  chartsDir: string,
  say: (m: string) => void,
  dryRun: boolean,
): Promise<number> {
  const dir = chart.kind === 'git' ? join(chartsDir, 'refs', 'tags') : chartsDir;
  if (!existsSync(dir)) return 0;
  let actions = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const v = chart.kind === 'git' ? `refs/tags/${e.name}` : e.name;
    if (wanted.has(v)) continue;
    actions++;
    if (dryRun) continue;
    say(`Removing unused Chart with version ${v}`);
    await rm(join(dir, e.name), { recursive: true, force: true });
  }
  return actions;
}

/**
 * Pulls the charts of a project into `.helm-charts`. `force` re-pulls versions already present (the
 * `helm-pull` command does); `dryRun` only counts what would change.
 */
export async function helmPull(
  opts: HelmPullOptions & { force?: boolean; dryRun?: boolean },
): Promise<HelmPullResult> {
  requireProjectRoot(opts.projectDir, 'helm-pull');
  const messages: string[] = [];
  const say = (m: string): void => {
    messages.push(m);
    (opts.progress ?? silentProgress).step(m);
  };
  const base = join(opts.projectDir, '.helm-charts');
  let actions = 0;
  const pulls: (() => Promise<void>)[] = [];
  for (const releases of groupByChart(await loadHelmReleases(opts.projectDir)).values()) {
    const chart = releases[0]!.chart;
    const wanted = new Map<string, ChartVersion>();
    for (const r of releases)
      if (!r.config.skipPrePull) wanted.set(versionString(wantedVersion(r.config)), wantedVersion(r.config));
    actions += await removeUnused(chart, wanted, chartBaseDir(base, chart), say, opts.dryRun ?? false);
    for (const v of wanted.values()) {
      const dir = chartVersionDir(base, chart, v);
      if (!opts.force && existsSync(join(dir, 'Chart.yaml'))) continue;
      actions++;
      if (opts.dryRun) continue;
      pulls.push(async () => {
        say(`${chart.name}: Pulling Chart with version ${versionString(v)}`);
        try {
          await pullChart(chart, v, dir, opts);
        } catch (err) {
          throw new KsError('ToolFailed', `${chart.name}: ${(err as Error).message}`, { cause: err });
        }
      });
    }
  }
  // At most 4 pulls at once; the first failure is reported after all have settled.
  const results: PromiseSettledResult<void>[] = [];
  for (let i = 0; i < pulls.length; i += 4)
    results.push(...(await Promise.allSettled(pulls.slice(i, i + 4).map((f) => f()))));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return { actions, messages };
}
