/**
 * Prepare (kluctl-semantics §10.3): check out the source at the requested ref into a fresh temp dir,
 * then render the project for the deployment's target. Everything that can go wrong before touching the
 * cluster goes wrong here, and becomes `PrepareFailed` with the full text in `lastPrepareError`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { KluctlDeploymentSpec } from '../api/types.js';
import { KsError } from '../errors.js';
import type { GitRef, GitSource, KubeClient } from '../ports.js';
import { renderProject } from '../project/render-project.js';
import type { RenderedProject } from '../project/render-project.js';
import type { SopsDecryptor } from '../project/sops/sops-decryptor.js';
import type { VarsServices } from '../project/vars/vars-services.js';

/** A checked-out and rendered project; call `cleanup` when done. */
export interface PreparedProject {
  readonly commit: string;
  readonly rendered: RenderedProject;
  cleanup(): Promise<void>;
}

/** Dependencies of {@link prepareProject}. */
export interface PrepareDeps {
  readonly git: GitSource;
  readonly kube: KubeClient;
  /** Parent of the per-reconcile temp dirs. */
  readonly workDir: string;
  readonly kustomizePath?: string;
  /** Decrypts SOPS files (keys of `spec.decryption`); default none, so encrypted files fail. */
  readonly sops?: SopsDecryptor;
  /** Extra services of vars sources (git ref listing, AWS); the cluster and Git come from above. */
  readonly varsServices?: VarsServices;
}

/** The Git URL, ref and project path of a spec, rejecting the source forms Kluctl no longer accepts. */
export function gitSourceOf(spec: KluctlDeploymentSpec): { url: string; ref: GitRef; path: string } {
  const src = spec.source;
  if (src.secretRef)
    throw new KsError(
      'InvalidInput',
      "spec.source.secretRef is not supported anymore, use 'spec.credentials.git' instead",
    );
  if (src.credentials)
    throw new KsError(
      'InvalidInput',
      "spec.source.credentials is not supported anymore, use 'spec.credentials.git' instead",
    );
  if (spec.helmCredentials) {
    throw new KsError(
      'InvalidInput',
      'spec.helmCredentials can not be used anymore, please switch to spec.credentials.helm',
    );
  }
  if (src.git) return { url: src.git.url, ref: src.git.ref ?? {}, path: src.git.path ?? '' };
  if (src.url) return { url: src.url, ref: src.ref ?? {}, path: src.path ?? '' };
  if (src.oci) throw new KsError('InvalidInput', 'OCI sources are not supported yet; use spec.source.git');
  throw new KsError('InvalidInput', 'missing source spec');
}

/** Clones and renders; on failure nothing is left behind. */
export async function prepareProject(
  deps: PrepareDeps,
  spec: KluctlDeploymentSpec,
  name: string,
): Promise<PreparedProject> {
  const source = gitSourceOf(spec);
  const tmp = await mkdtemp(join(deps.workDir, `${name}-`));
  const cleanup = (): Promise<void> => rm(tmp, { recursive: true, force: true });
  try {
    const repoDir = join(tmp, 'source');
    const { commit } = await deps.git.checkout(source.url, source.ref, repoDir);
    const projectDir = resolve(repoDir, source.path);
    const rel = relative(repoDir, projectDir);
    if (rel.startsWith('..') || rel.split(sep).includes('..')) {
      throw new KsError(
        'InvalidInput',
        `kluctlDeployment path not found: ${source.path} leaves the repository`,
      );
    }
    const st = await stat(projectDir).catch(() => undefined);
    if (!st?.isDirectory())
      throw new KsError('InvalidInput', `kluctlDeployment path not found: ${source.path}`);
    const rendered = await renderProject({
      projectDir,
      sourceRoot: repoDir,
      renderDir: join(tmp, 'rendered'),
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.targetNameOverride ? { targetNameOverride: spec.targetNameOverride } : {}),
      ...(spec.context ? { contextOverride: spec.context } : {}),
      ...(spec.args ? { args: spec.args as Record<string, unknown> } : {}),
      ...(deps.kustomizePath ? { kustomizePath: deps.kustomizePath } : {}),
      // Like Kluctl's controller: vars read the target cluster, never the controller's environment.
      varsServices: { git: deps.git, ...deps.varsServices, cluster: deps.kube, env: {} },
      ...(deps.sops ? { sops: deps.sops } : {}),
      isNamespaced: async (apiVersion: string, kind: string) =>
        (await deps.kube.resolve(apiVersion, kind))?.namespaced,
    });
    return { commit, rendered, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
