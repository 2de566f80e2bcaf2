/**
 * `helm-chart.yaml` (kluctl-semantics §4.2): strict decoding, Kluctl's validation matrix of the chart
 * source fields, and the defaults (`namespace: default`, `output: helm-rendered.yaml`).
 */
import { posix } from 'node:path';
import { ProjectLoadError } from '../../errors.js';
import type { GitRef } from '../../ports.js';
import { S, decodeYaml } from '../../util/strict-yaml.js';

/** A chart from Git: `git: <url>` or `git: {url, ref, subDir}`. */
export interface HelmGitSource {
  readonly url: string;
  readonly ref?: GitRef;
  readonly subDir?: string;
}

/** The `helmChart:` object as written in the file. */
export interface HelmChartConfig {
  readonly repo?: string;
  readonly path?: string;
  readonly git?: HelmGitSource;
  readonly chartName?: string;
  readonly chartVersion?: string;
  readonly updateConstraints?: string;
  readonly releaseName: string;
  /** Release namespace as written; undefined means `default` (and no namespace annotation). */
  readonly namespace?: string;
  readonly output?: string;
  readonly skipCRDs?: boolean;
  readonly skipUpdate?: boolean;
  readonly skipPrePull?: boolean;
}

/** Where the chart comes from. */
export type ChartSourceKind = 'repo' | 'oci' | 'path' | 'git';

/** File names Kluctl treats as a helm-chart.yaml (case-insensitive). */
export const HELM_CHART_NAMES = ['helm-chart.yml', 'helm-chart.yaml'];
/** File names Kluctl treats as helm values next to the helm-chart.yaml. */
export const HELM_VALUES_NAMES = ['helm-values.yml', 'helm-values.yaml'];
/** Default of `output`. */
const DEFAULT_HELM_OUTPUT = 'helm-rendered.yaml';

const GIT_REF = S.object({ branch: S.string, tag: S.string, commit: S.string });
const HELM_CHART_SPEC = S.object({
  helmChart: S.object({
    repo: S.string,
    path: S.string,
    git: S.stringOr(S.object({ url: S.string, ref: GIT_REF, subDir: S.string })),
    chartName: S.string,
    chartVersion: S.string,
    updateConstraints: S.string,
    releaseName: S.string,
    namespace: S.string,
    output: S.string,
    skipCRDs: S.bool,
    skipUpdate: S.bool,
    skipPrePull: S.bool,
  }),
});

/** Whether a repo URL is an OCI registry (`oci://...`), as Helm decides it. */
function isOciRepo(repo: string): boolean {
  return repo.startsWith('oci://');
}

/** The kind of source of a validated config. */
export function chartSourceKind(c: HelmChartConfig): ChartSourceKind {
  if (c.path) return 'path';
  if (c.git) return 'git';
  return isOciRepo(c.repo ?? '') ? 'oci' : 'repo';
}

/** The output file name, relative to the helm-chart.yaml's dir. */
export function helmOutputFile(c: HelmChartConfig): string {
  return c.output ?? DEFAULT_HELM_OUTPUT;
}

/** The release namespace (`default` when unset). */
export function helmReleaseNamespace(c: HelmChartConfig): string {
  return c.namespace ?? 'default';
}

/**
 * Kluctl's validation matrix (one source; per source which of chartName/chartVersion/updateConstraints
 * are required or forbidden). Returns the problems, empty when the config is valid.
 */
export function validateHelmChartConfig(c: Partial<HelmChartConfig>): string[] {
  const errs: string[] = [];
  if (!c.releaseName) errs.push('releaseName is required');
  const sources = [c.repo ? 1 : 0, c.path ? 1 : 0, c.git ? 1 : 0].reduce((a, b) => a + b, 0);
  if (sources === 0) errs.push('either repo, path or git must be specified');
  else if (sources > 1) errs.push('only one of repo, path and git can be specified');
  else if (c.repo) {
    if (!c.chartVersion) errs.push('chartVersion must be specified when repo is specified');
    if (isOciRepo(c.repo) && c.chartName) errs.push('chartName can not be specified when repo is a OCI url');
    if (!isOciRepo(c.repo) && !c.chartName)
      errs.push('chartName must be specified when repo is normal Helm repo');
  } else if (c.path) {
    if (c.chartName) errs.push('chartName can not be specified for local Helm charts');
    if (c.chartVersion !== undefined) errs.push('chartVersion can not be specified for local Helm charts');
    if (c.updateConstraints !== undefined)
      errs.push('updateConstraints can not be specified for local Helm charts');
  } else if (c.git) {
    if (c.chartName) errs.push('chartName can not be specified for git Helm charts');
    if (c.chartVersion !== undefined) errs.push('chartVersion can not be specified for git Helm charts');
    const ref = c.git.ref;
    const set = ref ? [ref.branch, ref.tag, ref.commit].filter((x) => x).length : undefined;
    // Kluctl's GitRef decoding: an empty ref is an error, as is more than one field.
    if (set === 0) errs.push('either branch, tag or commit must be set');
    if (set !== undefined && set > 1) errs.push('only one of the ref fields can be set');
  }
  if (c.path && posix.isAbsolute(c.path.replace(/\\/g, '/')))
    errs.push('absolute path is not allowed in helm-chart.yaml');
  if (c.chartVersion && !parseLooseVersionOk(c.chartVersion) && !c.git)
    errs.push(`invalid chart version '${c.chartVersion}'`);
  return errs;
}

/** Masterminds accepts `v1`, `1.2`, `1.2.3-rc.1+b`; anything else is not a version. */
function parseLooseVersionOk(v: string): boolean {
  return /^v?\d+(\.\d+)?(\.\d+)?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(v);
}

/** Parses and validates a helm-chart.yaml; `file` names it in errors. */
export function parseHelmChartConfig(text: string, file: string): HelmChartConfig {
  const doc = decodeYaml<{ helmChart?: Record<string, unknown> }>(text, HELM_CHART_SPEC, file);
  if (!doc.helmChart) throw new ProjectLoadError('helmChart is required', { file });
  const raw = doc.helmChart as Partial<HelmChartConfig> & { git?: string | HelmGitSource };
  const git = typeof raw.git === 'string' ? { url: raw.git } : raw.git;
  const config = { ...raw, ...(git ? { git } : {}) } as Partial<HelmChartConfig>;
  const errs = validateHelmChartConfig(config);
  if (errs.length > 0) throw new ProjectLoadError(`invalid helm-chart config: ${errs.join('; ')}`, { file });
  return config as HelmChartConfig;
}

/**
 * The chart name of a remote chart: chartName for classic repos, the last URL segment for OCI,
 * basename of subDir (else of the repo path) for Git. Local charts read theirs from Chart.yaml.
 */
export function remoteChartName(c: HelmChartConfig): string {
  const kind = chartSourceKind(c);
  let name: string;
  if (kind === 'repo') name = c.chartName ?? '';
  else if (kind === 'oci') name = c.repo!.replace(/\/+$/, '').split('/').pop() ?? '';
  else if (kind === 'git') {
    const sub = c.git!.subDir?.replace(/\/+$/, '');
    name = sub ? posix.basename(sub) : posix.basename(gitUrlPath(c.git!.url).replace(/\.git$/, ''));
  } else throw new ProjectLoadError('local charts have no remote chart name');
  if (!/[a-zA-Z_-]+/.test(name))
    throw new ProjectLoadError(`invalid chart source, no chart name in it: ${name}`);
  return name;
}

/** The path part of a Git URL (`https://h/x/y.git` and `git@h:x/y.git` alike). */
function gitUrlPath(url: string): string {
  const scp = /^[^/@:]+@[^/:]+:(.*)$/.exec(url);
  if (scp) return `/${scp[1]}`;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
