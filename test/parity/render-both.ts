/**
 * Renders one parity case with the reference Kluctl (`kluctl render --print-all`, read back by the Go
 * reader) and with ours (the CLI's own render path, in-process, plus its `--print-all` text read back
 * by the same reader), offline or against a cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printAllText, renderWithOptionalCluster } from '../../bin/commands/render.js';
import type { RenderFlags } from '../../bin/commands/render.js';
import type { KubeObject } from '../../lib/ports.js';
import type { ParityCase } from './projects.js';
import { readKubeYaml } from './kube-yaml.js';
import { runKluctl } from '../../devenv/reference-kluctl.js';

/** Where a case is rendered: `--offline-kubernetes`, or against a cluster (`--kubeconfig`, `--context`). */
export type RenderMode =
  | { readonly kind: 'offline' }
  | { readonly kind: 'cluster'; readonly kubeconfig: string; readonly context: string };

/** Kluctl's side of one case. */
export interface KluctlRender {
  /** The objects as Kluctl printed them. */
  readonly objects: readonly KubeObject[];
  /** Kluctl's objects hash over them (computed in Go the way Kluctl does). */
  readonly objectsHash: string;
}

/** Our side of one case. */
export interface OurRender {
  /** The rendered objects in memory: what we hash and apply. */
  readonly objects: readonly KubeObject[];
  readonly objectsHash: string;
  /** Our `--print-all` text as Kluctl and kubectl read it back. */
  readonly printed: readonly KubeObject[];
}

/** A render that failed: the tool's message. */
export interface RenderFailure {
  readonly error: string;
}

/** The flags of both tools for a case, without the mode. */
function caseArgs(c: ParityCase): string[] {
  return [
    ...(c.target === undefined ? [] : ['-t', c.target]),
    ...Object.entries(c.args).flatMap(([k, v]) => ['-a', `${k}=${v}`]),
  ];
}

function modeArgs(mode: RenderMode): string[] {
  return mode.kind === 'offline'
    ? ['--offline-kubernetes']
    : ['--kubeconfig', mode.kubeconfig, '--context', mode.context];
}

/** The command line both tools get for a case (for reports and reproduction by hand). */
export function renderCommand(c: ParityCase, mode: RenderMode): string {
  return ['render', '--project-dir', c.projectDir, '--print-all', ...caseArgs(c), ...modeArgs(mode)].join(
    ' ',
  );
}

/** Renders the case with the reference Kluctl; `cacheDir` is shared by the runs of one test file. */
export async function renderWithKluctl(
  c: ParityCase,
  mode: RenderMode,
  cacheDir: string,
): Promise<KluctlRender | RenderFailure> {
  const res = await runKluctl(
    ['render', '--project-dir', c.projectDir, '--print-all', ...caseArgs(c), ...modeArgs(mode)],
    { cwd: c.projectDir, cacheDir },
  );
  if (res.code !== 0) return { error: `kluctl exited with ${res.code}: ${res.stderr.trim()}` };
  return readKubeYaml(res.stdout, `kluctl ${c.id}`);
}

/** Our side of a case from rendered objects: adds how our `--print-all` text of them reads back. */
export async function ourRender(
  objects: readonly KubeObject[],
  objectsHash: string,
  what: string,
): Promise<OurRender> {
  const printed = await readKubeYaml(printAllText(objects), `our --print-all of ${what}`);
  return { objects, objectsHash, printed: printed.objects };
}

/** Renders the case with ours, through the CLI's render path, in this process. */
export async function renderWithOurs(c: ParityCase, mode: RenderMode): Promise<OurRender | RenderFailure> {
  const renderDir = await mkdtemp(join(tmpdir(), 'ks-parity-render-'));
  const flags: RenderFlags = {
    projectDir: c.projectDir,
    ...(c.target === undefined ? {} : { target: c.target }),
    arg: Object.entries(c.args).map(([k, v]) => `${k}=${v}`),
    renderOutputDir: renderDir,
    printAll: true,
    ...(mode.kind === 'offline'
      ? { offlineKubernetes: true }
      : { kubeconfig: mode.kubeconfig, context: mode.context }),
  };
  try {
    const rendered = await renderWithOptionalCluster(flags, (r) => r);
    return await ourRender(rendered.objects, rendered.objectsHash, c.id);
  } catch (err) {
    return { error: `ours failed: ${(err as Error).message}` };
  } finally {
    await rm(renderDir, { recursive: true, force: true });
  }
}

/** Whether a render result is a failure. */
export function isFailure(r: object): r is RenderFailure {
  return 'error' in r;
}
