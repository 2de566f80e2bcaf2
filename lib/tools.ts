/**
 * Locates the pinned external binaries (kustomize, helm, kube-apiserver, ...). Versions come from
 * tools/versions.env, the same file scripts/ensure-tools.sh builds from; binaries live in
 * `<cache>/<tool>-<version>/bin/`. An explicit path per tool (e.g. from KLUCTL_SERVERLESS_KUSTOMIZE, or
 * /opt/bin in the Lambda layer) takes precedence.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from './errors.js';

/** Tools built by scripts/ensure-tools.sh, by their versions.env prefix. */
export type ToolName =
  | 'kustomize'
  | 'helm'
  | 'kube-apiserver'
  | 'kubectl'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'etcd'
  | 'sops'
  | 'age-keygen'
  | 'registry';

const TOOL_MODULE: Record<ToolName, { dir: string; versionKey: string }> = {
  kustomize: { dir: 'kustomize', versionKey: 'KUSTOMIZE_VERSION' },
  helm: { dir: 'helm', versionKey: 'HELM_VERSION' },
  'kube-apiserver': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  kubectl: { dir: 'k8s', versionKey: 'K8S_VERSION' },
  etcd: { dir: 'etcd', versionKey: 'ETCD_VERSION' },
  sops: { dir: 'sops', versionKey: 'SOPS_VERSION' },
  'age-keygen': { dir: 'sops', versionKey: 'SOPS_VERSION' },
  'kube-controller-manager': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  'kube-scheduler': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  kwok: { dir: 'kwok', versionKey: 'KWOK_VERSION' },
  registry: { dir: 'registry', versionKey: 'REGISTRY_VERSION' },
};

/**
 * The tools the engine itself runs (render, deploy, reconcile): every command, the local runner and the
 * demo must have these installed. The others in {@link ToolName} serve the development environment.
 */
export const RUNTIME_TOOLS: readonly ToolName[] = ['kustomize', 'helm', 'sops'];

/** The scripts/ensure-tools.sh names (tools/<dir>) that provide the given tools, without repeats. */
export function toolBuildNames(tools: readonly ToolName[]): string[] {
  return [...new Set(tools.map((t) => TOOL_MODULE[t].dir))];
}

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

/** Options of {@link toolPath}. */
export interface ToolPathOptions {
  /** Explicit binary paths per tool; win over the cache. */
  readonly overrides?: Partial<Record<ToolName, string | undefined>>;
  /** Cache root; default `~/.cache/kluctl-serverless`. */
  readonly cacheDir?: string;
}

/** Default cache root for built tools. */
export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'kluctl-serverless');
}

/**
 * The path of a pinned tool binary. Throws with the command to run when the tool is not built yet.
 */
export function toolPath(tool: ToolName, opts: ToolPathOptions = {}): string {
  const override = opts.overrides?.[tool];
  if (override) return override;
  const { dir, versionKey } = TOOL_MODULE[tool];
  const version = readToolVersions()[versionKey];
  const path = join(opts.cacheDir ?? defaultCacheDir(), `${dir}-${version}`, 'bin', tool);
  if (!existsSync(path)) {
    throw new ToolError(
      `${tool} ${version} is not installed at ${path}; run 'npm run tools -- ${dir}' to build it`,
    );
  }
  return path;
}
