/**
 * Renders the Helm charts of one rendered deployment item (kluctl-semantics §2.5, §4.2–4.5): every
 * `helm-chart.yaml` below the item's render dir (already templated) is rendered with the real
 * `helm template` into its `output` file next to it, before kustomize runs.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KsError, ProjectLoadError, errorMessage } from '../../errors.js';
import type { GitAuth, GitSource } from '../../ports.js';
import { runtimeToolPath } from '../../runtime-tools.js';
import { isDict } from '../merge.js';
import { findConfigFile, isInside, toSlash } from '../paths.js';
import { parseYaml } from '../../util/strict-yaml.js';
import { readYaml, readYamlAll, writeYamlAll } from '../../util/yaml.js';
import type { ChartVersion, RemoteChart } from './chart-layout.js';
import {
  chartVersionDir,
  findHelmChartsDir,
  remoteChartOf,
  versionString,
  wantedVersion,
} from './chart-layout.js';
import { checkPulledChart, pullChart } from './chart-pull.js';
import type { ChartPullDeps } from './chart-pull.js';
import { createHelmHome, runHelm } from './helm-cli.js';
import type { HelmChartConfig } from './helm-chart-config.js';
import {
  HELM_CHART_NAMES,
  HELM_VALUES_NAMES,
  helmOutputFile,
  helmReleaseNamespace,
  parseHelmChartConfig,
} from './helm-chart-config.js';
import type { HelmCredentials } from '../../credentials/helm-credentials.js';
import { noHelmCredentials } from '../../credentials/helm-credentials.js';

/** Internal annotation: the release namespace, used for namespace defaulting and then removed (§2.10). */
const ANNOTATION_HELM_INSTALL_NAMESPACE = 'kluctl.io/helm-install-namespace';

/** How Helm charts are rendered; every field is optional. */
export interface HelmRenderContext {
  /** helm binary. Default: `runtimeToolPath('helm')`. */
  readonly helmPath?: string;
  /** Capabilities.KubeVersion (cluster's version or `--kubernetes-version`). Default: helm's built-in. */
  readonly kubeVersion?: string;
  /** Capabilities.APIVersions from discovery (`group/version` and `group/version/Kind`). Default: none. */
  readonly apiVersions?: readonly string[];
  /** Default: none. */
  readonly credentials?: HelmCredentials;
  /** Cache for charts with `skipPrePull: true` (`<cacheDir>/helm-charts/...`). Default: a dir in the OS temp dir. */
  readonly cacheDir?: string;
  /** Git access for Git charts. */
  readonly git?: GitSource;
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  readonly signal?: AbortSignal;
  /** Told the start and end (`performance.now()`) of every `helm template` run, for benchmarks. Default: none. */
  readonly onHelmRun?: (startMs: number, endMs: number) => void;
}

/** Inputs of {@link renderHelmCharts}. */
export interface RenderHelmChartsInput {
  readonly ctx: HelmRenderContext;
  readonly sourceRoot: string;
  /** The item's source dir (absolute). */
  readonly itemDir: string;
  /** The item's rendered dir (absolute). */
  readonly renderedDir: string;
  /** The item dir relative to the source root (for messages). */
  readonly relDir: string;
}

/** On-demand pulls re-pull after a day, as Kluctl's cache does. */
const CACHE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Pulls in flight per cache dir, so parallel items share one pull. */
const inflight = new Map<string, Promise<void>>();

async function findChartFiles(dir: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory() && e.name !== '.git') out.push(...(await findChartFiles(dir, rel)));
    else if (e.isFile() && HELM_CHART_NAMES.includes(e.name.toLowerCase())) out.push(rel);
  }
  return out;
}

function pullDeps(ctx: HelmRenderContext, helmPath: string): ChartPullDeps {
  return {
    helmPath,
    credentials: ctx.credentials ?? noHelmCredentials,
    ...(ctx.git ? { git: ctx.git } : {}),
    ...(ctx.gitAuth ? { gitAuth: ctx.gitAuth } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
}

async function cachedChartDir(
  chart: RemoteChart,
  v: ChartVersion,
  ctx: HelmRenderContext,
  deps: ChartPullDeps,
): Promise<string> {
  const base = join(ctx.cacheDir ?? join(tmpdir(), 'kluctl-serverless-cache'), 'helm-charts');
  const dir = chartVersionDir(base, chart, v);
  let p = inflight.get(dir);
  if (!p) {
    p = (async () => {
      if ((await checkPulledChart(chart, v, dir, deps, CACHE_MAX_AGE_MS)).needsPull)
        await pullChart(chart, v, dir, deps);
    })().finally(() => inflight.delete(dir));
    inflight.set(dir, p);
  }
  await p;
  return dir;
}

/** The chart dir to render: local path, pre-pulled version, or the on-demand cache. */
async function chartDirOf(
  config: HelmChartConfig,
  configDir: string,
  input: RenderHelmChartsInput,
  deps: ChartPullDeps,
): Promise<{ dir: string; name: string }> {
  if (config.path) {
    // Local charts are read from the source, not the render dir: they are never templated.
    const dir = resolve(input.itemDir, configDir, config.path);
    if (!isInside(input.sourceRoot, dir))
      throw new ProjectLoadError(`local chart path ${config.path} is not inside the project`);
    if (!existsSync(join(dir, 'Chart.yaml')))
      throw new ProjectLoadError(`local chart ${config.path} has no Chart.yaml`);
    // Helm reads Chart.yaml with sigs.k8s.io/yaml, not strictly.
    const meta = readYaml(await readFile(join(dir, 'Chart.yaml'), 'utf8'), `${config.path}/Chart.yaml`, {
      strict: false,
    }) as {
      name?: unknown;
    } | null;
    if (!meta?.name)
      throw new ProjectLoadError('invalid/empty chart name', { file: `${config.path}/Chart.yaml` });
    return { dir, name: String(meta.name) };
  }
  const chart = remoteChartOf(config)!;
  const v = wantedVersion(config);
  if (config.skipPrePull) return { dir: await cachedChartDir(chart, v, input.ctx, deps), name: chart.name };
  const base = findHelmChartsDir(input.sourceRoot, resolve(input.itemDir, configDir));
  const dir = base ? chartVersionDir(base, chart, v) : undefined;
  const state = dir ? await checkPulledChart(chart, v, dir, deps) : { needsPull: true };
  if (state.needsPull && state.otherVersion !== undefined)
    throw new KsError(
      'ProjectLoad',
      `pre-pulled Helm Chart ${chart.name} need to be pulled (call 'kluctl helm-pull'). Desired version is ${versionString(v)} while pre-pulled version is ${state.otherVersion}`,
    );
  if (state.needsPull)
    throw new KsError(
      'ProjectLoad',
      `Helm Chart ${chart.name} has not been pre-pulled, which is not allowed when skipPrePull is not enabled. Run 'kluctl helm-pull' to pre-pull all Helm Charts`,
    );
  return { dir: dir!, name: chart.name };
}

async function checkKustomizationLists(dir: string, output: string, relDir: string): Promise<void> {
  const k = findConfigFile(dir, ['kustomization.yml', 'kustomization.yaml']);
  if (!k) return;
  const doc = parseYaml(await readFile(k, 'utf8'), `${relDir}/kustomization.yaml`);
  const resources = isDict(doc) && Array.isArray(doc.resources) ? doc.resources : [];
  if (!resources.includes(output))
    throw new ProjectLoadError(
      `${relDir}/kustomization.yaml does not include the rendered helm chart: ${output}`,
    );
}

/**
 * helm's output as objects, read as Kluctl reads it (sigs.k8s.io/yaml: `defaultMode: 0755` is 493,
 * `value: yes` is true); duplicate keys keep the last value (Kluctl's RemoveDuplicateFields, as Helm).
 */
function parseHelmOutput(text: string, relName: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const v of readYamlAll(text, `helm output of ${relName}`, { strict: false })) {
    if (!isDict(v)) throw new KsError('ToolFailed', 'yaml object is not a map');
    out.push(v);
  }
  return out;
}

async function renderOne(file: string, input: RenderHelmChartsInput, helmPath: string): Promise<string[]> {
  const warnings: string[] = [];
  const configDir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  const absConfigDir = join(input.renderedDir, configDir);
  const relName = toSlash(join(input.relDir, file));
  const config = parseHelmChartConfig(await readFile(join(input.renderedDir, file), 'utf8'), relName);
  const output = helmOutputFile(config);
  await checkKustomizationLists(absConfigDir, output, input.relDir);
  const outPath = resolve(absConfigDir, output);
  if (!isInside(absConfigDir, outPath))
    throw new ProjectLoadError(`output ${output} must stay in the item dir`, { file: relName });

  const deps = pullDeps(input.ctx, helmPath);
  let chartName = config.chartName ?? remoteChartOf(config)?.name ?? config.path ?? '';
  try {
    const chart = await chartDirOf(config, configDir, input, deps);
    chartName = chart.name;
    const meta = readYaml(await readFile(join(chart.dir, 'Chart.yaml'), 'utf8'), `${chart.name}/Chart.yaml`, {
      strict: false,
    }) as { type?: unknown; deprecated?: unknown } | null;
    const type = meta?.type ?? '';
    if (type !== '' && type !== 'application')
      throw new KsError('InvalidInput', `${String(type)} charts are not installable`);
    if (meta?.deprecated === true) warnings.push(`Chart ${chart.name} is deprecated`);

    const args = [
      'template',
      config.releaseName,
      chart.dir,
      '--namespace',
      helmReleaseNamespace(config),
      '--skip-tests',
    ];
    args.push(config.skipCRDs ? '--skip-crds' : '--include-crds');
    if (input.ctx.kubeVersion) args.push('--kube-version', input.ctx.kubeVersion);
    if (input.ctx.apiVersions?.length) args.push('--api-versions', input.ctx.apiVersions.join(','));
    const values = HELM_VALUES_NAMES.map((n) => join(absConfigDir, n)).find((p) => existsSync(p));
    if (values) args.push('--values', values);
    const home = await createHelmHome();
    const started = performance.now();
    let text: string;
    try {
      text = await runHelm(args, {
        binary: helmPath,
        home,
        what: `rendering ${relName}`,
        ...(input.ctx.signal ? { signal: input.ctx.signal } : {}),
      });
    } finally {
      input.ctx.onHelmRun?.(started, performance.now());
      await home.dispose();
    }
    const objects = parseHelmOutput(text, relName);
    if (config.namespace !== undefined) {
      for (const o of objects) {
        const md = (isDict(o.metadata) ? o.metadata : (o.metadata = {})) as Record<string, unknown>;
        md.annotations = {
          ...(isDict(md.annotations) ? md.annotations : {}),
          [ANNOTATION_HELM_INSTALL_NAMESPACE]: config.namespace,
        };
      }
    }
    await writeFile(outPath, writeYamlAll(objects), { mode: 0o600 });
  } catch (err) {
    const msg = `rendering helm chart ${chartName} for release ${config.releaseName} has failed: ${errorMessage(err)}`;
    throw err instanceof KsError
      ? new KsError(err.code, msg, { cause: err, retryable: err.retryable })
      : new KsError('ToolFailed', msg, { cause: err });
  }
  return warnings;
}

/**
 * Renders every helm-chart.yaml of one rendered item dir; returns warnings (deprecated charts).
 * Throws when a chart cannot be rendered or an existing kustomization does not list the output.
 */
export async function renderHelmCharts(input: RenderHelmChartsInput): Promise<string[]> {
  const files = await findChartFiles(input.renderedDir);
  if (files.length === 0) return [];
  const helmPath = input.ctx.helmPath ?? runtimeToolPath('helm');
  const warnings: string[] = [];
  for (const f of files) warnings.push(...(await renderOne(f, input, helmPath)));
  return warnings;
}
