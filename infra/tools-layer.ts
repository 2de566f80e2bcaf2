/**
 * The Lambda layer with the pinned external tools. Lambda mounts a layer at /opt, so the layer's
 * `bin/kustomize` becomes /opt/bin/kustomize, the path the reconcile function is told to use. The
 * binaries are linux/amd64 builds, so the layer (and every function using it) is x86_64.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import { KsError } from '../lib/errors.js';
import { readToolVersions, toolPath } from '../lib/tools.js';

/** Where the layer's kustomize is mounted inside the function. */
export const LAYER_KUSTOMIZE_PATH = '/opt/bin/kustomize';

/** Architecture of the tool binaries, and so of every function that uses the layer. */
export const TOOLS_ARCHITECTURE = Architecture.X86_64;

/** Props of {@link ToolsLayer}. */
export interface ToolsLayerProps {
  /** Directory holding `bin/kustomize`. @default the pinned binary, staged by {@link stageToolsLayerDir} */
  readonly dir?: string;
}

/** A layer version with the pinned kustomize under bin/. */
export class ToolsLayer extends Construct {
  /** The layer to attach to functions. */
  readonly layer: ILayerVersion;

  constructor(scope: Construct, id: string, props: ToolsLayerProps = {}) {
    super(scope, id);
    const dir = props.dir ?? stageToolsLayerDir();
    checkToolsLayerDir(dir);
    const kustomizeVersion = readToolVersions().KUSTOMIZE_VERSION ?? 'unknown';
    this.layer = new LayerVersion(this, 'Layer', {
      code: Code.fromAsset(dir),
      compatibleArchitectures: [TOOLS_ARCHITECTURE],
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      description: `kluctl-serverless tools: kustomize ${kustomizeVersion} (linux/amd64) in /opt/bin`,
    });
  }
}

/** Throws, naming the fix, unless `dir` contains the layer's `bin/kustomize`. */
export function checkToolsLayerDir(dir: string): void {
  const kustomize = join(dir, 'bin', 'kustomize');
  if (!existsSync(kustomize) || !statSync(kustomize).isFile()) {
    throw new KsError(
      'InvalidInput',
      `toolsLayerDir '${dir}' has no bin/kustomize; point toolsLayerDir at a directory with bin/kustomize, or leave it unset to stage the pinned binary (built by 'npm run tools -- kustomize')`,
    );
  }
}

/**
 * Copies the pinned kustomize from the tool cache into `<stagingRoot>/kustomize-<version>/bin/` and
 * returns that layer directory. The directory name carries the version, so it is reused across synths
 * and the asset hash (taken from content, not path) only changes when the binary does.
 */
export function stageToolsLayerDir(stagingRoot: string = join(tmpdir(), 'kluctl-serverless-layer')): string {
  const source = toolPath('kustomize');
  const version = readToolVersions().KUSTOMIZE_VERSION ?? 'unknown';
  const dir = join(stagingRoot, `kustomize-${version}`);
  const target = join(dir, 'bin', 'kustomize');
  if (!existsSync(target) || statSync(target).size !== statSync(source).size) {
    mkdirSync(join(dir, 'bin'), { recursive: true });
    copyFileSync(source, target);
  }
  return dir;
}
