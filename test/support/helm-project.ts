/**
 * Projects of Helm charts for the helm-pull / helm-update tests, laid out like Kluctl's e2e
 * AddHelmDeployment: one deployment item per chart, its kustomization listing the rendered output.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { writeFiles } from './files.js';

/** Writes a project into `dir` with one item per entry of `charts` (item path → `helmChart` fields). */
export function writeHelmProject(dir: string, charts: Record<string, Record<string, unknown>>): string {
  const files: Record<string, string> = {
    '.kluctl.yaml': 'targets: []\n',
    'deployment.yaml': stringify({ deployments: Object.keys(charts).map((path) => ({ path })) }),
  };
  for (const [d, c] of Object.entries(charts)) {
    files[`${d}/kustomization.yaml`] = 'resources:\n- helm-rendered.yaml\n';
    files[`${d}/helm-chart.yaml`] = stringify({ helmChart: c });
  }
  return writeFiles(dir, files);
}

/** Sets `helmChart.<field>` of item `item` of the project in `dir`. */
export function setHelmChartField(dir: string, item: string, field: string, value: unknown): void {
  const p = join(dir, item, 'helm-chart.yaml');
  const doc = parse(readFileSync(p, 'utf8')) as { helmChart: Record<string, unknown> };
  doc.helmChart[field] = value;
  writeFileSync(p, stringify(doc));
}

/**
 * Makes `dir` a clean git worktree with everything committed, as `helm-update --commit` needs, and
 * gives the process a git identity for the commits helm-update makes. Returns a git runner in `dir`.
 */
export function commitHelmProject(dir: string): (...args: string[]) => string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  const ident = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
  git('init', '-q');
  git('add', '-A');
  git(...ident, 'commit', '-q', '-m', 'project');
  process.env.GIT_AUTHOR_NAME = process.env.GIT_COMMITTER_NAME = 't';
  process.env.GIT_AUTHOR_EMAIL = process.env.GIT_COMMITTER_EMAIL = 't@t';
  return git;
}
