/**
 * Prepare (kluctl-semantics §10.3): check out the source at the requested ref into a fresh temp dir,
 * then render the project for the deployment's target. Everything that can go wrong before touching the
 * cluster goes wrong here, and becomes `PrepareFailed` with the full text in `lastPrepareError`.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { KluctlDeploymentSpec } from '../api/types.js';
import { errorMessage, KsError } from '../errors.js';
import type {
  GitAuth,
  GitCheckout,
  GitRef,
  GitSource,
  KubeClient,
  OciAuth,
  OciRef,
  OciSource,
} from '../ports.js';
import { secureJoin } from '../project/paths.js';
import { inclusionOf } from '../project/inclusion.js';
import { renderProject } from '../project/render-project.js';
import { helmCapabilities } from '../project/helm/capabilities.js';
import type { RenderedProject } from '../project/render-project.js';
import type { SopsDecryptor } from '../ports.js';
import type { VarsServices } from '../project/vars/vars-services.js';
import { gitAuthResolver } from '../credentials/git-credentials.js';
import { ociAuthResolver, ociCredentialsFromSpec } from '../credentials/oci-credentials.js';
import { connectTargetCluster, requestedContext } from './target-cluster.js';
import type { TargetCluster, TargetClusterDeps } from './target-cluster.js';
import {
  gitCredentialsFromSpec,
  helmCredentialsFromSpec,
  kubeSecretReader,
} from '../credentials/spec-credentials.js';

/** A checked-out and rendered project; call `cleanup` when done. */
export interface PreparedProject {
  readonly commit: string;
  /** The ref checked out (the default branch's name when the spec names none). */
  readonly ref?: GitRef;
  readonly rendered: RenderedProject;
  /** The cluster and identity the project is deployed to (closed by `cleanup`). */
  readonly target: TargetCluster;
  /** Cluster id of the target (`status.targetKey.clusterId`). */
  readonly targetClusterId: string;
  cleanup(): Promise<void>;
}

/** Dependencies of {@link prepareProject}. */
export interface PrepareDeps extends TargetClusterDeps {
  readonly git: GitSource;
  /** Registry access for `spec.source.oci` and `oci:` includes; default none, so those fail clearly. */
  readonly oci?: OciSource;
  /** The runner's own client: Secrets of `spec.credentials`, `spec.decryption` and `spec.kubeConfig`. */
  readonly kube: KubeClient;
  /** Parent of the per-reconcile temp dirs. */
  readonly workDir: string;
  readonly kustomizePath?: string;
  /** Decrypts SOPS files (keys of `spec.decryption`); default none, so encrypted files fail. */
  readonly sops?: SopsDecryptor;
  /** Builds a decryptor holding the age keys of `spec.decryption.secretRef`; default none. */
  readonly sopsWithKeys?: (ageKeys: readonly string[]) => SopsDecryptor;
  /** helm binary; default the pinned one. */
  readonly helmPath?: string;
  /** Extra services of vars sources (git ref listing, AWS); the cluster and Git come from above. */
  readonly varsServices?: VarsServices;
  /** The run's deadline: rendering stops on it, and nothing new starts after the checkout. */
  readonly signal?: AbortSignal;
}

/**
 * The decryptor of a deployment: with `spec.decryption.secretRef`, one holding the age keys found in
 * that Secret (keys ending in `.agekey`, as Kluctl's controller reads them); else the default.
 */
async function decryptorFor(deps: PrepareDeps, kd: PrepareTarget): Promise<SopsDecryptor | undefined> {
  const ref = kd.spec.decryption?.secretRef;
  if (!ref || !deps.sopsWithKeys) return deps.sops;
  const secret = await deps.kube.get({
    group: '',
    version: 'v1',
    kind: 'Secret',
    name: ref.name,
    namespace: kd.namespace,
  });
  if (!secret) throw new KsError('InvalidInput', `decryption Secret ${kd.namespace}/${ref.name} not found`);
  const data = (secret.data ?? {}) as Record<string, string>;
  const keys = Object.entries(data)
    .filter(([k]) => k.endsWith('.agekey'))
    .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
  return deps.sopsWithKeys(keys);
}

/** Where a deployment's project comes from: a Git repository or an OCI artifact. */
export type ProjectSource =
  | { readonly kind: 'git'; readonly url: string; readonly ref: GitRef; readonly path: string }
  | { readonly kind: 'oci'; readonly url: string; readonly ref: OciRef; readonly path: string };

/** The source URL, ref and project path of a spec, rejecting the source forms Kluctl no longer accepts. */
export function projectSourceOf(spec: KluctlDeploymentSpec): ProjectSource {
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
  if (src.git) return { kind: 'git', url: src.git.url, ref: src.git.ref ?? {}, path: src.git.path ?? '' };
  if (src.oci) return { kind: 'oci', url: src.oci.url, ref: src.oci.ref ?? {}, path: src.oci.path ?? '' };
  if (src.url) return { kind: 'git', url: src.url, ref: src.ref ?? {}, path: src.path ?? '' };
  throw new KsError('InvalidInput', 'missing source spec');
}

/** The deployment being prepared. */
export interface PrepareTarget {
  readonly name: string;
  readonly namespace: string;
  readonly spec: KluctlDeploymentSpec;
}

/**
 * A failed prepare. `commit` is set when the checkout succeeded (Kluctl's controller then still reports
 * it as `status.observedCommit`); `cause` is the original error.
 */
export class PrepareError extends KsError {
  readonly commit: string | undefined;
  constructor(cause: unknown, commit: string | undefined) {
    super(cause instanceof KsError ? cause.code : 'ProjectLoad', errorMessage(cause), { cause });
    this.commit = commit;
  }
}

/**
 * Checks out a Git source, or pulls an OCI one (Kluctl's controller reports the commit `kluctl oci push`
 * recorded in the artifact, "" when it recorded none).
 */
async function checkoutSource(
  deps: PrepareDeps,
  source: ProjectSource,
  dir: string,
  auth: { git: (url: string) => GitAuth | undefined; oci: (url: string) => OciAuth | undefined },
): Promise<GitCheckout> {
  if (source.kind === 'git') return deps.git.checkout(source.url, source.ref, dir, auth.git(source.url));
  if (!deps.oci)
    throw new KsError('InvalidInput', `OCI source ${source.url}: this runner has no registry access`);
  await mkdir(dir, { recursive: true });
  const pulled = await deps.oci.pull(source.url, source.ref, dir, auth.oci(source.url));
  return { commit: pulled.commit ?? '', ...(pulled.ref ? { ref: pulled.ref } : {}) };
}

/** Clones and renders; on failure nothing is left behind and a {@link PrepareError} is thrown. */
export async function prepareProject(deps: PrepareDeps, kd: PrepareTarget): Promise<PreparedProject> {
  const { spec, name } = kd;
  let commit: string | undefined;
  let tmp: string | undefined;
  let target: TargetCluster | undefined;
  const cleanup = async (): Promise<void> => {
    target?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
  try {
    const source = projectSourceOf(spec);
    tmp = await mkdtemp(join(deps.workDir, `${name}-`));
    const repoDir = join(tmp, 'source');
    // spec.credentials (§9.4): Secrets of the deployment's namespace, for the source, includes and charts.
    const secrets = kubeSecretReader(deps.kube, kd.namespace);
    const gitAuth = gitAuthResolver(await gitCredentialsFromSpec(spec.credentials, secrets));
    const helmCredentials = await helmCredentialsFromSpec(
      spec.credentials,
      secrets,
      join(tmp, 'credentials'),
    );
    const ociAuth = ociAuthResolver(await ociCredentialsFromSpec(spec.credentials, secrets));
    const checkout = await checkoutSource(deps, source, repoDir, { git: gitAuth, oci: ociAuth });
    commit = checkout.commit;
    // The clone cannot be interrupted; what comes after it can wait for the next run.
    deps.signal?.throwIfAborted();
    // As Kluctl's controller: `..` stops at the repository root, symlinks resolve inside it.
    const projectDir = secureJoin(repoDir, source.path);
    const st = await stat(projectDir).catch(() => undefined);
    if (!st?.isDirectory())
      throw new KsError('InvalidInput', `kluctlDeployment path not found: ${source.path}`);
    // Rendering looks at the target cluster, as the deployment's identity (§9.5).
    target = await connectTargetCluster(deps, kd, await requestedContext(projectDir, spec));
    const cluster = target.kube;
    const caps = await helmCapabilities(cluster);
    const sops = await decryptorFor(deps, kd);
    const rendered = await renderProject({
      projectDir,
      git: deps.git,
      gitAuth,
      ...(deps.oci ? { oci: { source: deps.oci, auth: ociAuth } } : {}),
      inclusion: inclusionOf(spec),
      // spec.images come after the target's images, so they win (kluctl-semantics §3.6).
      fixedImages: (spec.images ?? []).map(({ object: _seenIn, ...fixed }) => fixed),
      helm: {
        ...(deps.helmPath ? { helmPath: deps.helmPath } : {}),
        kubeVersion: caps.kubeVersion,
        apiVersions: caps.apiVersions,
        // Charts pulled on demand are shared by the reconciles of this process.
        // Kept apart per credential set (like Kluctl's repo caches), so no deployment reads a chart
        // another one pulled with its own credentials.
        cacheDir: join(deps.workDir, 'helm-cache', helmCredentials.cacheKey),
        git: deps.git,
        gitAuth,
        credentials: { helm: helmCredentials.helm, registry: helmCredentials.registry },
      },
      sourceRoot: repoDir,
      renderDir: join(tmp, 'rendered'),
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.targetNameOverride ? { targetNameOverride: spec.targetNameOverride } : {}),
      contextOverride: target.contextName,
      ...(spec.args ? { args: spec.args as Record<string, unknown> } : {}),
      ...(deps.kustomizePath ? { kustomizePath: deps.kustomizePath } : {}),
      // Like Kluctl's controller: vars read the target cluster, never the controller's environment.
      varsServices: { git: deps.git, ...deps.varsServices, cluster, env: {} },
      ...(sops ? { sops } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
      isNamespaced: async (apiVersion: string, kind: string) =>
        (await cluster.resolve(apiVersion, kind))?.namespaced,
    });
    // Kluctl reads the target's id for status.targetKey before deciding anything; failing is PrepareFailed.
    const targetClusterId = await cluster.clusterId();
    return {
      commit,
      rendered,
      target,
      targetClusterId,
      cleanup,
      ...(checkout.ref ? { ref: checkout.ref } : {}),
    };
  } catch (err) {
    await cleanup();
    throw new PrepareError(err, commit);
  }
}
