/**
 * `helm-update [--upgrade] [--commit]` (kluctl-semantics §4.7): finds the newest version of each remote
 * chart that matches its `updateConstraints` (pre-releases only when the constraint names one), reports
 * it, and with `upgrade` rewrites `chartVersion` in the helm-chart.yaml (keeping the file's layout) and
 * pulls the new version. Committing is the caller's job (a callback), so lib/ stays free of Git.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { KsError } from '../../errors.js';
import { silentProgress } from '../../ports.js';
import { findHelmCredential } from '../../credentials/helm-credentials.js';
import { listRepoVersions } from './chart-pull.js';
import type { RemoteChart } from './chart-layout.js';
import { groupByChart, helmPull, loadHelmReleases, requireProjectRoot } from './helm-pull.js';
import type { HelmPullOptions, HelmRelease } from './helm-pull.js';
import { listOciTags } from './oci-tags.js';
import { setYamlStringField } from '../../util/yaml.js';
import { compareSemver, parseConstraint, parseSemver } from './semver.js';

/** Options of {@link helmUpdate}. */
export interface HelmUpdateOptions extends HelmPullOptions {
  /** Write new versions and pull them. */
  readonly upgrade?: boolean;
  /** Called once per upgraded chart with the changed paths (absolute) and Kluctl's commit message. */
  readonly commit?: (paths: readonly string[], message: string) => Promise<void>;
}

/** One available update. */
export interface HelmChartUpdate {
  readonly relDir: string;
  readonly chartName: string;
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly skipped: boolean;
  readonly upgraded: boolean;
}

/** The result of {@link helmUpdate}. */
export interface HelmUpdateResult {
  readonly updates: readonly HelmChartUpdate[];
  readonly messages: readonly string[];
}

/** The newest version of `versions` matching `constraints` (Kluctl: no pre-releases without one). */
export function latestVersion(versions: readonly string[], constraints?: string): string {
  let check: ((v: NonNullable<ReturnType<typeof parseSemver>>) => boolean) | undefined;
  if (constraints !== undefined) {
    try {
      check = parseConstraint(constraints);
    } catch (err) {
      throw new KsError('InvalidInput', `invalid constraints '${constraints}': ${(err as Error).message}`);
    }
  }
  const ok = versions
    .map(parseSemver)
    .filter((v): v is NonNullable<typeof v> => v !== undefined && (check ? check(v) : v.pre.length === 0));
  if (ok.length === 0)
    throw new KsError(
      'InvalidInput',
      constraints === undefined
        ? 'no version found'
        : `no version found that satisfies constraints '${constraints}'`,
    );
  return ok.sort(compareSemver)[ok.length - 1]!.original;
}

async function queryVersions(chart: RemoteChart, opts: HelmUpdateOptions): Promise<string[]> {
  if (chart.kind === 'repo') return listRepoVersions(chart, opts);
  if (chart.kind === 'oci')
    return listOciTags(chart.repo!, findHelmCredential(opts.credentials, chart.repo!));
  throw new KsError('InvalidInput', `helm-update does not support Git charts yet (${chart.git?.url ?? ''})`);
}

async function writeChartVersion(r: HelmRelease, version: string): Promise<void> {
  const text = await readFile(r.file, 'utf8');
  await writeFile(r.file, setYamlStringField(text, ['helmChart', 'chartVersion'], version));
}

/** Checks for (and with `upgrade` applies) newer chart versions. */
export async function helmUpdate(opts: HelmUpdateOptions): Promise<HelmUpdateResult> {
  requireProjectRoot(opts.projectDir, 'helm-update');
  const messages: string[] = [];
  const say = (m: string): void => {
    messages.push(m);
    (opts.progress ?? silentProgress).step(m);
  };
  if (opts.commit) {
    const { actions } = await helmPull({ ...opts, dryRun: true });
    if (actions !== 0)
      throw new KsError('InvalidInput', '.helm-charts is not up-to-date. Please run helm-pull before');
  }
  const groups = groupByChart(await loadHelmReleases(opts.projectDir));
  const versions = new Map<string, string[]>();
  for (const [key, rs] of groups) {
    const chart = rs[0]!.chart;
    say(`${chart.name}: Querying versions`);
    versions.set(key, await queryVersions(chart, opts));
  }
  const updates: HelmChartUpdate[] = [];
  const upgrades = new Map<
    string,
    { chart: RemoteChart; old: string; next: string; releases: HelmRelease[] }
  >();
  for (const [key, rs] of groups) {
    for (const r of rs) {
      if (r.chart.kind === 'git') continue;
      const latest = latestVersion(versions.get(key)!, r.config.updateConstraints);
      const current = r.config.chartVersion ?? '';
      if (latest === current) continue;
      const base = { relDir: r.relDir, chartName: r.chart.name, oldVersion: current, newVersion: latest };
      if (r.config.skipUpdate) {
        say(`${r.relDir}: Skipped update to version ${latest}`);
        updates.push({ ...base, skipped: true, upgraded: false });
        continue;
      }
      say(`${r.relDir}: Chart ${r.chart.name} (old version ${current}) has new version ${latest} available`);
      updates.push({ ...base, skipped: false, upgraded: opts.upgrade ?? false });
      if (!opts.upgrade) continue;
      await writeChartVersion(r, latest);
      say(`${r.relDir}: Updated Chart version to ${latest}`);
      const k = `${key} ${current} ${latest}`;
      const u = upgrades.get(k) ?? { chart: r.chart, old: current, next: latest, releases: [] };
      u.releases.push(r);
      upgrades.set(k, u);
    }
  }
  for (const u of upgrades.values()) {
    say(`Upgrading Chart ${u.chart.name} from version ${u.old} to ${u.next}`);
    const pulled = await helmPull({ ...opts, force: false });
    messages.push(...pulled.messages.filter((m) => !messages.includes(m)));
    if (opts.commit) {
      await opts.commit(
        [...u.releases.map((r) => r.file), `${opts.projectDir}/.helm-charts`],
        `Updated helm chart ${u.chart.name} from version ${u.old} to version ${u.next}`,
      );
      say(`Committed helm chart ${u.chart.name} with version ${u.next}`);
    }
  }
  return { updates, messages };
}
