/**
 * The paths of the pinned binaries the engine runs: kustomize, helm and sops. Versions come from
 * tools/versions.env, the same file scripts/ensure-tools.sh builds from; binaries live in
 * `<cache>/<build>-<version>/bin/`. An explicit path per tool (e.g. from KLUCTL_SERVERLESS_KUSTOMIZE, or
 * /opt/bin in the Lambda layer) takes precedence. The development environment's own tools (etcd,
 * kube-apiserver, kwok, ...) are found by devenv/tools.ts with the same functions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from './errors.js';

/** Where scripts/ensure-tools.sh builds a tool: `tools/<dir>`, versioned by `versions.env`'s `versionKey`. */
export interface ToolBuild {
  readonly dir: string;
  readonly versionKey: string;
}

/** The tools the engine itself runs (render, deploy, reconcile). */
export type RuntimeTool = 'kustomize' | 'helm' | 'sops';

/** The build of each tool the engine runs. */
export const RUNTIME_TOOL_BUILDS: Readonly<Record<RuntimeTool, ToolBuild>> = {
  kustomize: { dir: 'kustomize', versionKey: 'KUSTOMIZE_VERSION' },
  helm: { dir: 'helm', versionKey: 'HELM_VERSION' },
  sops: { dir: 'sops', versionKey: 'SOPS_VERSION' },
};

/**
 * The tools the engine itself runs: every command, the local runner and the demo must have these
 * installed.
 */
export const RUNTIME_TOOLS: readonly RuntimeTool[] = ['kustomize', 'helm', 'sops'];

/** Reads tools/versions.env of this repository. */
export function readToolVersions(): Record<string, string> {
  const file = fileURLToPath(new URL('../tools/versions.env', import.meta.url));
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Default cache root for built tools. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'kluctl-serverless');
}

/** Options of {@link pinnedToolPath}. */
export interface PinnedToolOptions {
  /** Explicit binary path; wins over the cache. */
  readonly override?: string | undefined;
  /** Cache root; default `~/.cache/kluctl-serverless`. */
  readonly cacheDir?: string;
}

/**
 * The path of binary `name` of a pinned build. Throws with the command to run when it is not built
 * yet.
 */
export function pinnedToolPath(name: string, build: ToolBuild, opts: PinnedToolOptions = {}): string {
  if (opts.override) return opts.override;
  const version = readToolVersions()[build.versionKey];
  const path = join(opts.cacheDir ?? defaultCacheDir(), `${build.dir}-${version}`, 'bin', name);
  if (!existsSync(path)) {
    throw new ToolError(
      `${name} ${version} is not installed at ${path}; run 'npm run tools -- ${build.dir}' to build it`,
    );
  }
  return path;
}

/** Options of {@link runtimeToolPath}. */
export interface RuntimeToolPathOptions {
  /** Explicit binary paths per tool; win over the cache. */
  readonly overrides?: Partial<Record<RuntimeTool, string | undefined>>;
  /** Cache root; default `~/.cache/kluctl-serverless`. */
  readonly cacheDir?: string;
}

/** The path of a pinned tool the engine runs. Throws with the command to run when it is not built yet. */
export function runtimeToolPath(tool: RuntimeTool, opts: RuntimeToolPathOptions = {}): string {
  return pinnedToolPath(tool, RUNTIME_TOOL_BUILDS[tool], {
    override: opts.overrides?.[tool],
    ...(opts.cacheDir === undefined ? {} : { cacheDir: opts.cacheDir }),
  });
}
