/**
 * The Lambda layer with the pinned external tools. Lambda mounts a layer at /opt, so the layer's
 * `bin/kustomize`, `bin/helm` and `bin/sops` become /opt/bin/<tool>, the paths the reconcile function
 * is told to use. The binaries are linux/amd64 builds, so the layer (and every function using it) is
 * x86_64.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { KsError } from '../lib/errors.js';
import { readToolVersions, runtimeToolPath } from '../lib/runtime-tools.js';

/** The tools the layer carries, with the versions.env key of each. */
export const LAYER_TOOLS = [
  { name: 'kustomize', versionKey: 'KUSTOMIZE_VERSION' },
  { name: 'helm', versionKey: 'HELM_VERSION' },
  { name: 'sops', versionKey: 'SOPS_VERSION' },
] as const;

/** Where the layer's kustomize is mounted inside the function. */
export const LAYER_KUSTOMIZE_PATH = '/opt/bin/kustomize';
/** Where the layer's helm is mounted inside the function. */
export const LAYER_HELM_PATH = '/opt/bin/helm';
/** Where the layer's sops is mounted inside the function. */
export const LAYER_SOPS_PATH = '/opt/bin/sops';

/** Architecture of the tool binaries, and so of every function that uses the layer. */
export const TOOLS_ARCHITECTURE = Architecture.X86_64;

/** Props of {@link ToolsLayer}. */
export interface ToolsLayerProps {
  /** Directory holding `bin/kustomize`, `bin/helm` and `bin/sops`. @default the pinned binaries, staged by {@link stageToolsLayerDir} */
  readonly dir?: string;
}

/** A layer version with the pinned tools under bin/. */
export class ToolsLayer extends Construct {
  /** The layer to attach to functions. */
  readonly layer: ILayerVersion;

  constructor(scope: Construct, id: string, props: ToolsLayerProps = {}) {
    super(scope, id);
    const dir = props.dir ?? stageToolsLayerDir();
    checkToolsLayerDir(dir);
    const versions = readToolVersions();
    const desc = LAYER_TOOLS.map((t) => `${t.name} ${versions[t.versionKey] ?? 'unknown'}`).join(', ');
    this.layer = new LayerVersion(this, 'Layer', {
      code: Code.fromAsset(dir),
      compatibleArchitectures: [TOOLS_ARCHITECTURE],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      description: `kluctl-serverless tools: ${desc} (linux/amd64) in /opt/bin`,
    });
  }
}

/** Throws, naming the fix, unless `dir` contains every tool of the layer under `bin/`. */
export function checkToolsLayerDir(dir: string): void {
  for (const { name } of LAYER_TOOLS) {
    const file = join(dir, 'bin', name);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new KsError(
        'InvalidInput',
        `toolsLayerDir '${dir}' has no bin/${name}; point toolsLayerDir at a directory with bin/kustomize, bin/helm and bin/sops, or leave it unset to stage the pinned binaries (built by 'npm run tools')`,
      );
    }
  }
}

/**
 * Copies the pinned tools from the tool cache into `<stagingRoot>/tools-<versions>/bin/` and returns
 * that layer directory. The directory name carries the versions, so it is reused across synths and the
 * asset hash (taken from content, not path) only changes when a binary does.
 */
export function stageToolsLayerDir(stagingRoot: string = join(tmpdir(), 'kluctl-serverless-layer')): string {
  const versions = readToolVersions();
  const dir = join(
    stagingRoot,
    `tools-${LAYER_TOOLS.map((t) => `${t.name}-${versions[t.versionKey] ?? 'unknown'}`).join('-')}`,
  );
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const { name } of LAYER_TOOLS) {
    const source = runtimeToolPath(name);
    const target = join(dir, 'bin', name);
    if (!existsSync(target) || statSync(target).size !== statSync(source).size) copyFileSync(source, target);
  }
  return dir;
}
