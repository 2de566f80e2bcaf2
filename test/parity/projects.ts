/**
 * Which renders the parity suite compares: every project of a workspace repository and every target of
 * it, read from the project files directly (not through our engine, which is what is under test).
 * Projects that need the internet (charts from public repositories that are not pre-pulled, Git
 * includes) are listed as not comparable with the reason, since only package registries are reachable
 * from the test machines.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import type { WorkspaceRepo } from './workspace.js';

const CONFIG_NAMES = ['.kluctl.yml', '.kluctl.yaml'];
const DEPLOYMENT_NAMES = ['deployment.yml', 'deployment.yaml'];
const HELM_CHART_NAMES = ['helm-chart.yml', 'helm-chart.yaml'];
const SKIP_DIRS = new Set(['.git', '.helm-charts', 'node_modules']);

/**
 * Values for args a project requires (declared without a default, not set by any target). Each entry
 * is one render; the values are the ones the project's own documentation uses.
 */
const REQUIRED_ARG_VALUES: Readonly<Record<string, readonly Readonly<Record<string, string>>[]>> = {
  // gitops-deployment/README: `kluctl deploy -t gitops -a cluster_name=...`; one folder per cluster.
  'kluctl-examples/gitops-deployment': [
    { cluster_name: 'test.example.com' },
    { cluster_name: 'prod.example.com' },
  ],
  // Our fixtures take the namespace their tests deploy to.
  'fixture-images': [{ namespace: 'parity-images' }],
  'fixture-skeleton': [{ namespace: 'parity-skeleton' }],
  'fixture-identity': [{ namespace: 'parity-identity', other: 'parity-identity-other' }],
  'fixture-stuck-rollout': [{ namespace: 'parity-stuck-rollout' }],
};

/**
 * Cases both tools must refuse, by project and render mode, with the text both errors must contain:
 * there, agreeing is failing for the same reason.
 */
const EXPECTED_FAILURES: Readonly<Record<string, Partial<Record<'offline' | 'cluster', string>>>> = {
  // A clusterConfigMap vars source: neither tool reads the cluster with --offline-kubernetes.
  'fixture-identity': { offline: 'loading vars from cluster is disabled' },
};

/** The text both tools' errors must contain when `c` is meant to fail in this mode, else undefined. */
export function expectedFailure(c: ParityCase, mode: 'offline' | 'cluster'): string | undefined {
  return EXPECTED_FAILURES[c.project]?.[mode];
}

/** One render to compare. */
export interface ParityCase {
  /** Readable id: `<repo>/<path> -t <target> -a k=v`. */
  readonly id: string;
  /** `<repo>/<path>` of the project. */
  readonly project: string;
  readonly repo: WorkspaceRepo;
  /** Project folder relative to the repository root ('' for the root). */
  readonly path: string;
  readonly projectDir: string;
  /** Undefined for projects without targets. */
  readonly target: string | undefined;
  /** `-a` values (both tools parse them as YAML). */
  readonly args: Readonly<Record<string, string>>;
}

/** A project the suite cannot render here, and why. */
export interface NotComparable {
  readonly project: string;
  readonly reason: string;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);

function firstExisting(dir: string, names: readonly string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((p) => existsSync(p));
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !SKIP_DIRS.has(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

/**
 * Project roots in a repository: folders holding `.kluctl.yaml`, and top-most folders holding a
 * `deployment.yaml` outside those. A repository without either is one project (a plain manifests dir).
 */
export function projectDirs(repoDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (firstExisting(dir, CONFIG_NAMES) || firstExisting(dir, DEPLOYMENT_NAMES)) {
      found.push(dir);
      return;
    }
    subdirs(dir).forEach(walk);
  };
  walk(repoDir);
  return found.length > 0 ? found : [repoDir];
}

/** Every file below `dir` (project files only) whose name is one of `names`. */
function filesNamed(dir: string, names: readonly string[]): string[] {
  const here = names.map((n) => join(dir, n)).filter((p) => existsSync(p));
  return [...here, ...subdirs(dir).flatMap((d) => filesNamed(d, names))];
}

/** Why rendering the project needs the internet, or undefined when it does not. */
export function networkNeed(projectDir: string): string | undefined {
  const needs: string[] = [];
  for (const file of filesNamed(projectDir, HELM_CHART_NAMES)) {
    const chart = (parse(readFileSync(file, 'utf8')) as Dict | null)?.helmChart;
    if (!isDict(chart) || typeof chart.repo !== 'string' || chart.path !== undefined) continue;
    if (!/^(https?|oci):\/\//.test(chart.repo)) continue;
    const name = typeof chart.chartName === 'string' ? chart.chartName : chart.repo.split('/').pop()!;
    if (!isPrePulled(projectDir, name, String(chart.chartVersion))) {
      needs.push(`chart ${name} ${String(chart.chartVersion)} from ${chart.repo} (not pre-pulled)`);
    }
  }
  for (const file of filesNamed(projectDir, DEPLOYMENT_NAMES)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*-?\s*git:\s*\n?\s*(?:url:\s*)?(\S+)/gm))
      needs.push(`Git include ${m[1]}`);
  }
  return needs.length > 0 ? `needs the internet: ${needs.join('; ')}` : undefined;
}

/** Whether `.helm-charts` of the project holds `<...>/<name>/<version>` (Kluctl's pre-pull layout). */
function isPrePulled(projectDir: string, name: string, version: string): boolean {
  const root = join(projectDir, '.helm-charts');
  if (!existsSync(root)) return false;
  const want = `${sep}${name}${sep}${version}`;
  const walk = (dir: string): boolean =>
    dir.endsWith(want) ||
    readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && walk(join(dir, e.name)));
  return walk(root);
}

interface ProjectConfig {
  readonly targets: readonly { name: string; args: Dict }[];
  readonly required: readonly string[];
}

function readConfig(projectDir: string): ProjectConfig {
  const file = firstExisting(projectDir, CONFIG_NAMES);
  const doc = file ? (parse(readFileSync(file, 'utf8')) as Dict | null) : null;
  const targets = (Array.isArray(doc?.targets) ? doc.targets : []).filter(isDict).map((t) => ({
    name: String(t.name),
    args: isDict(t.args) ? t.args : {},
  }));
  const required = (Array.isArray(doc?.args) ? doc.args : [])
    .filter((a): a is Dict => isDict(a) && !('default' in a))
    .map((a) => String(a.name));
  return { targets, required };
}

/** The arg sets to render the project with: one empty set, or the table's values for required args. */
function argSets(project: string, cfg: ProjectConfig): readonly Readonly<Record<string, string>>[] {
  const missing = cfg.required.filter(
    (a) => cfg.targets.length === 0 || cfg.targets.some((t) => !(a in t.args)),
  );
  if (missing.length === 0) return [{}];
  const sets = REQUIRED_ARG_VALUES[project];
  if (!sets) {
    throw new Error(
      `${project} requires args ${missing.join(', ')}: add values for it to REQUIRED_ARG_VALUES in test/parity/projects.ts`,
    );
  }
  return sets;
}

/** The cases of one repository, and the projects in it that cannot be compared here. */
export function discoverCases(repo: WorkspaceRepo): { cases: ParityCase[]; notComparable: NotComparable[] } {
  const cases: ParityCase[] = [];
  const notComparable: NotComparable[] = [];
  for (const projectDir of projectDirs(repo.dir)) {
    const path = relative(repo.dir, projectDir).split(sep).join('/');
    const project = path ? `${repo.name}/${path}` : repo.name;
    const need = networkNeed(projectDir);
    if (need) {
      notComparable.push({ project, reason: need });
      continue;
    }
    const cfg = readConfig(projectDir);
    const targets = cfg.targets.length > 0 ? cfg.targets.map((t) => t.name) : [undefined];
    for (const target of targets) {
      for (const args of argSets(project, cfg)) {
        const argText = Object.entries(args).map(([k, v]) => ` -a ${k}=${v}`);
        const id = `${project}${target === undefined ? '' : ` -t ${target}`}${argText.join('')}`;
        cases.push({ id, project, repo, path, projectDir, target, args });
      }
    }
  }
  return { cases, notComparable };
}
