/** Helpers shared by the CLI commands. */
import { parse } from 'yaml';
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KsError } from '../../lib/errors.js';
import type { KubeClient } from '../../lib/ports.js';
import { listTargets, renderProject } from '../../lib/project/render-project.js';
import type { RenderedProject } from '../../lib/project/render-project.js';
import { kubeClient, kustomizePath } from '../compose.js';

/** Project flags as commander hands them over. */
export interface ProjectFlags {
  projectDir: string;
  target?: string;
  targetNameOverride?: string;
  arg: string[];
  context?: string;
  kubeconfig?: string;
  renderOutputDir?: string;
}

/**
 * Parses `-a name=value` flags as Kluctl does: the value is YAML (`true` is a bool, quote it to keep a
 * string), a dotted name is a nested path.
 */
export function parseArgs(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const m = /^([a-zA-Z0-9_./-]*)=(.*)$/s.exec(f);
    if (!m) throw new KsError('InvalidInput', `invalid --arg '${f}': expected name=value`);
    const path = m[1]!.split('.');
    let cur = out;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      cur = (cur[seg] = typeof next === 'object' && next !== null ? next : {}) as Record<string, unknown>;
    }
    cur[path[path.length - 1]!] = parse(m[2]!) ?? '';
  }
  return out;
}

/** A client for the context the project's target names (`--context` wins), as Kluctl resolves it. */
export async function clientForTarget(flags: ProjectFlags): Promise<HttpKubeClient> {
  let context = flags.context;
  if (!context && flags.target) {
    const targets = await listTargets(flags.projectDir, { args: parseArgs(flags.arg) });
    context = targets.find((t) => t.name === flags.target)?.context;
  }
  return kubeClient({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(context ? { context } : {}),
  });
}

/** Renders the project as the flags say; `kube` answers which kinds are namespaced. */
export function renderFromFlags(flags: ProjectFlags, kube: KubeClient | undefined): Promise<RenderedProject> {
  return renderProject({
    projectDir: flags.projectDir,
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.targetNameOverride ? { targetNameOverride: flags.targetNameOverride } : {}),
    ...(flags.context ? { contextOverride: flags.context } : {}),
    ...(flags.renderOutputDir ? { renderDir: flags.renderOutputDir } : {}),
    args: parseArgs(flags.arg),
    kustomizePath: kustomizePath(),
    ...(kube
      ? { isNamespaced: async (av: string, k: string) => (await kube.resolve(av, k))?.namespaced }
      : {}),
  });
}
