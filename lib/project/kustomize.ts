/** Runs the pinned `kustomize build` binary on a rendered item dir (kluctl-semantics §4.1). */
import { ToolError } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { parseYamlAll } from '../util/strict-yaml.js';
import { runProcess } from '../util/run-process.js';

/** Options of {@link kustomizeBuild}. */
export interface KustomizeBuildOptions {
  /** Path of the kustomize binary. */
  readonly binary: string;
  /** The dir to build. */
  readonly dir: string;
  /** Name of the item for messages (dir relative to the source root). */
  readonly label: string;
  readonly signal?: AbortSignal;
}

/** Builds `dir` and returns the objects in kustomize's output order. */
export async function kustomizeBuild(opts: KustomizeBuildOptions): Promise<KubeObject[]> {
  let res;
  try {
    // An empty environment: kustomize needs none, and the caller's secrets must not reach it.
    res = await runProcess(opts.binary, ['build', opts.dir], {
      env: {},
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    throw new ToolError(`failed to run kustomize for ${opts.label}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (res.code !== 0) {
    // Messages carry the render dir path; show the item dir instead.
    const msg = res.stderr.trim().split(opts.dir).join(opts.label);
    throw new ToolError(`kustomize build of ${opts.label} failed: ${msg}`);
  }
  return parseYamlAll(res.stdout, `kustomize output of ${opts.label}`) as KubeObject[];
}
