/**
 * The pinned tools of the development environment (etcd, the Kubernetes binaries, kwok, the OCI
 * registry, age-keygen, sshd) next to the ones the engine runs (lib/runtime-tools.ts): one `toolPath` for
 * tests, the demo and the benchmarks, and the scripts/ensure-tools.sh names that build them.
 */
import {
  pinnedToolPath,
  RUNTIME_TOOL_BUILDS,
  type RuntimeTool,
  type ToolBuild,
} from '../lib/runtime-tools.js';

/** Tools only the development environment runs. */
export type DevTool =
  | 'kube-apiserver'
  | 'kubectl'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kwok'
  | 'etcd'
  | 'age-keygen'
  | 'registry'
  | 'sshd';

/** Every tool built by scripts/ensure-tools.sh. */
export type ToolName = RuntimeTool | DevTool;

const TOOL_BUILDS: Readonly<Record<ToolName, ToolBuild>> = {
  ...RUNTIME_TOOL_BUILDS,
  'kube-apiserver': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  kubectl: { dir: 'k8s', versionKey: 'K8S_VERSION' },
  'kube-controller-manager': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  'kube-scheduler': { dir: 'k8s', versionKey: 'K8S_VERSION' },
  etcd: { dir: 'etcd', versionKey: 'ETCD_VERSION' },
  'age-keygen': { dir: 'sops', versionKey: 'SOPS_VERSION' },
  kwok: { dir: 'kwok', versionKey: 'KWOK_VERSION' },
  registry: { dir: 'registry', versionKey: 'REGISTRY_VERSION' },
  sshd: { dir: 'openssh', versionKey: 'OPENSSH_VERSION' },
};

/** The scripts/ensure-tools.sh names (tools/<dir>) that provide the given tools, without repeats. */
export function toolBuildNames(tools: readonly ToolName[]): string[] {
  return [...new Set(tools.map((t) => TOOL_BUILDS[t].dir))];
}

/** The path of a pinned tool binary. Throws with the command to run when the tool is not built yet. */
export function toolPath(tool: ToolName): string {
  return pinnedToolPath(tool, TOOL_BUILDS[tool]);
}
