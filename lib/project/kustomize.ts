/** Runs the pinned `kustomize build` binary on a rendered item dir (kluctl-semantics §4.1). */
import { spawn } from 'node:child_process';
import { ToolError } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { parseYamlAll } from './strict-yaml.js';

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

function run(
  binary: string,
  args: readonly string[],
  signal?: AbortSignal,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // An empty environment: kustomize needs none, and the caller's secrets must not reach it.
    const child = spawn(binary, args, {
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/** Builds `dir` and returns the objects in kustomize's output order. */
export async function kustomizeBuild(opts: KustomizeBuildOptions): Promise<KubeObject[]> {
  let res;
  try {
    res = await run(opts.binary, ['build', opts.dir], opts.signal);
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
