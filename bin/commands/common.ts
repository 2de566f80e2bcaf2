/** Helpers shared by the CLI commands. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { parseFixedImageArg, readFixedImagesFile } from '../../lib/images/fixed-images.js';
import type { FixedImage } from '../../lib/images/fixed-images.js';
import { deepMerge, isDict } from '../../lib/project/merge.js';
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KsError } from '../../lib/errors.js';
import { readYaml } from '../../lib/util/yaml.js';
import type { KubeClient, KubeObject, OciAuth } from '../../lib/ports.js';
import { detectGitRepositoryRoot } from '../../lib/project/paths.js';
import { inclusionOf } from '../../lib/project/inclusion.js';
import type { Inclusion } from '../../lib/project/inclusion.js';
import { listTargets, renderProject } from '../../lib/project/render-project.js';
import type { RenderedProject } from '../../lib/project/render-project.js';
import { cliVarsServices, kubeClient, kustomizePath, sopsDecryptor } from '../compose.js';
import { helmCapabilities } from '../../lib/project/helm/capabilities.js';
import { findHelmCredential } from '../../lib/credentials/helm-credentials.js';
import type { HelmCredentialEntry, HelmCredentialFlags } from '../../lib/credentials/helm-credentials.js';
import { HttpOciSource } from '../../lib/adapters/http-oci-source.js';
import { defaultCacheDir, runtimeToolPath } from '../../lib/runtime-tools.js';
import { helmCredentialsFromFlags } from './helm-pull.js';
import {
  buildGitCredentials,
  gitAuthResolver,
  userKnownHosts,
} from '../../lib/credentials/git-credentials.js';
import type { GitCredentialFlags } from '../../lib/credentials/git-credentials.js';
import type { GitRefLister, GitSource, OciSource } from '../../lib/ports.js';
import { overridesFromFlags } from '../../lib/project/source-overrides.js';
import type { SourceOverrideFlags } from '../../lib/project/source-overrides.js';
import {
  OverriddenGitRefLister,
  OverriddenGitSource,
  OverriddenOciSource,
} from '../../lib/project/overridden-sources.js';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';

/** Project flags as commander hands them over. */
export interface ProjectFlags extends GitCredentialFlags, SourceOverrideFlags {
  projectDir: string;
  target?: string;
  targetNameOverride?: string;
  arg: string[];
  context?: string;
  kubeconfig?: string;
  renderOutputDir?: string;
  /** `--args-from-file` (repeatable): YAML dicts merged over the `-a` args. */
  argsFromFile?: string[];
  /** `-F/--fixed-image image[:namespace[:deployment[:container]]]=result` (repeatable). */
  fixedImage?: string[];
  fixedImagesFile?: string;
  includeTag?: string[];
  excludeTag?: string[];
  includeDeploymentDir?: string[];
  excludeDeploymentDir?: string[];
  /** `--kubernetes-version`: what Helm charts see instead of the cluster's version. */
  kubernetesVersion?: string;
}

/** `-a` args, then every `--args-from-file` merged over them in order (Kluctl's LoadArgs). */
export function externalArgs(flags: Pick<ProjectFlags, 'arg' | 'argsFromFile'>): Record<string, unknown> {
  let args = parseArgs(flags.arg);
  for (const f of flags.argsFromFile ?? []) {
    let doc: unknown;
    try {
      doc = readYaml(readFileSync(f, 'utf8'), f);
    } catch (err) {
      throw new KsError('InvalidInput', `--args-from-file ${f}: ${(err as Error).message}`, { cause: err });
    }
    if (doc === null || doc === undefined) continue;
    if (!isDict(doc)) throw new KsError('InvalidInput', `--args-from-file ${f} must hold a YAML dictionary`);
    args = deepMerge(args, doc);
  }
  return args;
}

/** The fixed images of the command line: the `--fixed-images-file` entries, then `-F` flags. */
export function fixedImagesFromFlags(
  flags: Pick<ProjectFlags, 'fixedImage' | 'fixedImagesFile'>,
): FixedImage[] {
  return [
    ...(flags.fixedImagesFile ? readFixedImagesFile(flags.fixedImagesFile) : []),
    ...(flags.fixedImage ?? []).map(parseFixedImageArg),
  ];
}

/**
 * Parses `-a name=value` flags as Kluctl does: the value is YAML (`true` is a bool, quote it to keep a
 * string), a dotted name is a nested path.
 */
export function parseArgs(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const m = /^([a-zA-Z0-9_./-]*)=(.*)$/s.exec(f);
    if (!m) throw new KsError('InvalidInput', `invalid --arg '${f}': expected name=value`);
    const path = m[1]!.split('.');
    let cur = out;
    for (const seg of path.slice(0, -1)) {
      const next = cur[seg];
      cur = (cur[seg] = typeof next === 'object' && next !== null ? next : {}) as Record<string, unknown>;
    }
    // The value is YAML as Kluctl reads it: `yes` and `true` are booleans, `0755` is 493.
    cur[path[path.length - 1]!] = readYaml(m[2]!, `--arg ${m[1]}`);
  }
  return out;
}

/** The context asked for explicitly: `--context`, else the selected target's `context` (§1.6). */
export async function explicitContext(flags: ProjectFlags): Promise<string | undefined> {
  if (flags.context || !flags.target) return flags.context;
  const targets = await listTargets(flags.projectDir, { args: externalArgs(flags) });
  return targets.find((t) => t.name === flags.target)?.context;
}

/**
 * The first answer `pick` gives for a kubeconfig file, in kubectl's order: `--kubeconfig`, else the
 * files of $KUBECONFIG, else ~/.kube/config. Unreadable files are skipped, as kubectl does when merging.
 */
export function fromKubeconfig<T>(
  kubeconfig: string | undefined,
  pick: (doc: Record<string, unknown>) => T | undefined,
): T | undefined {
  const files = kubeconfig
    ? [kubeconfig]
    : process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(delimiter).filter((f) => f)
      : [join(homedir(), '.kube', 'config')];
  for (const f of files) {
    try {
      const doc = readYaml(readFileSync(f, 'utf8'), f, { strict: false });
      const found =
        typeof doc === 'object' && doc !== null ? pick(doc as Record<string, unknown>) : undefined;
      if (found !== undefined) return found;
    } catch {
      // skipped, see above
    }
  }
  return undefined;
}

/** The kubeconfig's `current-context` as kubectl finds it; undefined when none can be read. */
export function currentContextName(kubeconfig: string | undefined): string | undefined {
  return fromKubeconfig(kubeconfig, (doc) => {
    const name = doc['current-context'];
    return typeof name === 'string' && name ? name : undefined;
  });
}

/** A client for the context the project's target names (`--context` wins), as Kluctl resolves it. */
export async function clientForTarget(flags: ProjectFlags): Promise<HttpKubeClient> {
  const context = await explicitContext(flags);
  return kubeClient({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(context ? { context } : {}),
  });
}

/**
 * The source root of a project on disk, as Kluctl's CLI picks it: the Git repository around the project
 * dir, so item dirs (`kluctl.io/deployment-item-dir`) are named from the repository root and includes may
 * go up out of the project dir. Outside a repository it is the project dir, with Kluctl's warning.
 */
export function cliSourceRoot(projectDir: string): string {
  const root = detectGitRepositoryRoot(projectDir);
  if (root) return root;
  process.stderr.write('warning: Failed to detect git project root. This might cause follow-up errors\n');
  return resolve(projectDir);
}

/** Renders the project as the flags say; `kube` answers which kinds are namespaced. */
export async function renderFromFlags(
  flags: ProjectFlags & HelmCredentialFlags,
  kube: KubeClient | undefined,
): Promise<RenderedProject> {
  // Helm sees the cluster's version and API versions, as with Kluctl; offline, helm's defaults.
  const caps = kube ? await helmCapabilities(kube) : undefined;
  const kubeVersion = flags.kubernetesVersion ?? caps?.kubeVersion;
  // `--git-username/--git-password` first, then KLUCTL_GIT_[n_]* (Kluctl's order, §7.12).
  const gitAuth = gitAuthResolver(buildGitCredentials(flags, process.env), userKnownHosts(process.env));
  // With a cluster, templates see the context actually used, the current one when none was named (§1.6).
  const context = kube
    ? ((await explicitContext(flags)) ?? currentContextName(flags.kubeconfig))
    : flags.context;
  const helmCredentials = helmCredentialsFromFlags(flags);
  const { git, oci, gitRefs } = overriddenSources(flags);
  return renderProject({
    gitAuth,
    // oci includes with the --registry-* / KLUCTL_REGISTRY_* credentials, as Kluctl's CLI.
    oci: {
      source: oci,
      auth: (url) => registryAuth(findHelmCredential(helmCredentials, url)),
    },
    helm: {
      helmPath: runtimeToolPath('helm', { overrides: { helm: process.env.KLUCTL_SERVERLESS_HELM } }),
      credentials: helmCredentials,
      cacheDir: defaultCacheDir(),
      git,
      ...(kubeVersion ? { kubeVersion } : {}),
      ...(caps ? { apiVersions: caps.apiVersions } : {}),
    },
    projectDir: flags.projectDir,
    sourceRoot: cliSourceRoot(flags.projectDir),
    ...(flags.target ? { target: flags.target } : {}),
    ...(flags.targetNameOverride ? { targetNameOverride: flags.targetNameOverride } : {}),
    ...(context ? { contextOverride: context } : {}),
    ...(flags.renderOutputDir ? { renderDir: flags.renderOutputDir } : {}),
    args: externalArgs(flags),
    fixedImages: fixedImagesFromFlags(flags),
    inclusion: inclusionFromFlags(flags),
    git,
    varsServices: { ...cliVarsServices(kube), gitRefs },
    sops: sopsDecryptor(),
    kustomizePath: kustomizePath(),
    ...(kube
      ? {
          isNamespaced: async (av: string, k: string) => (await kube.resolve(av, k))?.namespaced,
          // Only for objects holding get_image placeholders: the deployed image of seen images.
          remoteObject: (o: KubeObject) =>
            kube
              .get({
                group: o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '',
                version: o.apiVersion.split('/').pop()!,
                kind: o.kind,
                name: o.metadata.name,
                ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
              })
              .catch(() => undefined),
        }
      : {}),
  });
}

/** A registry credentials entry of the CLI as the auth of an OCI pull. */
function registryAuth(e: HelmCredentialEntry | undefined): OciAuth | undefined {
  if (!e) return undefined;
  return {
    ...(e.username !== undefined ? { username: e.username } : {}),
    ...(e.password !== undefined ? { password: e.password } : {}),
    ...(e.plainHttp ? { plainHttp: true } : {}),
    ...(e.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  };
}

/** The inclusion rules of `-I`, `-E`, `--include-deployment-dir` and `--exclude-deployment-dir`. */
export function inclusionFromFlags(flags: ProjectFlags): Required<Inclusion> {
  return inclusionOf({
    includeTags: flags.includeTag ?? [],
    excludeTags: flags.excludeTag ?? [],
    includeDeploymentDirs: flags.includeDeploymentDir ?? [],
    excludeDeploymentDirs: flags.excludeDeploymentDir ?? [],
  });
}

/**
 * The Git and OCI sources of a CLI run: the real ones behind the `--local-*-override` flags, which
 * announce each overridden repository on stderr as Kluctl warns about it.
 */
export function overriddenSources(flags: SourceOverrideFlags): {
  git: GitSource;
  oci: OciSource;
  gitRefs: GitRefLister;
} {
  const overrides = overridesFromFlags(flags);
  const onOverride = (message: string): void => void process.stderr.write(`warning: ${message}\n`);
  return {
    git: new OverriddenGitSource(new IsomorphicGitSource(), { overrides, onOverride }),
    oci: new OverriddenOciSource(new HttpOciSource(), { overrides, onOverride }),
    gitRefs: new OverriddenGitRefLister(new IsomorphicGitRefLister(), { overrides }),
  };
}
