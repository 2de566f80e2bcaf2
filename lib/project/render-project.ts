/**
 * The render side of the Kluctl project engine: load `.kluctl.yaml`, pick the target, load the
 * deployment tree, drop the items the inclusion rules leave out, render every item into the render dir,
 * build it with kustomize, post-process the objects (labels, image placeholders, namespaces) and hash
 * them (kluctl-semantics §1, §2, §3, §5.1, §10.4). Pure of the cluster: scope and live-object lookups
 * go through injected functions.
 */
import type { OciIncludeAccess } from './oci-include.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FixedImage } from '../images/fixed-images.js';
import type { GitAuth, GitSource, KubeObject, SopsDecryptor } from '../ports.js';
import { runtimeToolPath } from '../runtime-tools.js';
import { fastPathBuilder } from './kustomize-fast.js';
import { TemplateEngine } from '../templating/template-engine.js';
import type { TemplateVars } from '../templating/template-engine.js';
import { mergeArgs } from './args.js';
import { RENDER_GIT_CHECKOUTS_DIR, loadDeploymentItems } from './deployment-tree.js';
import type { PlannedItem } from './planned-item.js';
import { isItemIncluded, normalizeInclusion } from './inclusion.js';
import type { Inclusion } from './inclusion.js';
import { renderItemDir } from './render-item-dir.js';
import { readKluctlProjectConfig } from './kluctl-config.js';
import type { Dict } from './merge.js';
import { objectsHash } from './objects-hash.js';
import { renderHelmCharts } from './helm/helm-render.js';
import type { HelmRenderContext } from './helm/helm-render.js';
import { fixNamespaces } from './postprocess.js';
import type { IsNamespaced } from './postprocess.js';
import { decryptTreeInPlace } from './sops/sops-decryptor.js';
import { VarsRuntime } from './vars/vars-runtime.js';
import type { SensitiveVars } from './vars/vars-runtime.js';
import type { VarsServices } from './vars/vars-services.js';
import { binaryBuilder, buildItem, finishItem } from './build-item.js';
import { materialiseSymlinks, symlinkScope, withLinkHint } from './render-symlinks.js';
import type { MaterialisedLinks } from './render-symlinks.js';
import { mapBoundedAll } from '../util/semaphore.js';
import type { ItemBuilder, RenderedItem } from './build-item.js';
import { templateFunctions } from './template-functions.js';
import type { LatestGitCommit, TemplateGlobals } from './template-functions.js';
import { loadTargets, selectTarget, targetVars } from './targets.js';
import type { Target } from './targets.js';

/** Options of {@link renderProject}. */
export interface RenderOptions {
  /** The Kluctl project dir (may be a subdir of the source). */
  readonly projectDir: string;
  /** Root of the source (the Git checkout); includes and vars files must stay inside. Default: projectDir. */
  readonly sourceRoot?: string;
  /** Target name (`-t`, `spec.target`). Required when the project defines targets. */
  readonly target?: string;
  /** Renames the selected target (`-T`, `spec.targetNameOverride`). */
  readonly targetNameOverride?: string;
  /** External args (`-a`, `--args-from-file`, `spec.args`) as a nested dict; they win over target args. */
  readonly args?: Record<string, unknown>;
  /** Where items are rendered. Default: a new temp dir, which the caller owns (and deletes). */
  readonly renderDir?: string;
  /** kustomize binary. Default: `runtimeToolPath('kustomize')`. */
  readonly kustomizePath?: string;
  /** Builds one rendered item dir. Default: the in-process fast path, falling back to the kustomize binary at `kustomizePath`. */
  readonly builder?: ItemBuilder;
  /**
   * Scope lookup (the cluster's discovery) for the namespace fix-up. Default: none, and then, as with
   * Kluctl's `--offline-kubernetes`, no fix-up happens at all.
   */
  readonly isNamespaced?: IsNamespaced;
  /** Kube context (`--context`, `spec.context`); wins over the target's `context`. */
  readonly contextOverride?: string;
  /** How many kustomize builds run at once. Default 4. */
  readonly kustomizeConcurrency?: number;
  /** Template engine (shares its parse cache). Default: one engine per process. */
  readonly engine?: TemplateEngine;
  /** Tag/dir inclusion rules (`-I`, `-E`, `--include-deployment-dir`, ...). Default: everything. */
  readonly inclusion?: Inclusion;
  /**
   * Fixed images after the target's own: the `--fixed-images-file` entries then `-F` flags (CLI), or
   * `spec.images` (controller). The last matching entry wins; the `images` var is asked last.
   */
  readonly fixedImages?: readonly FixedImage[];
  /** Reads the live object for `deployedImage` of seen images. Default: none (offline). */
  readonly remoteObject?: (o: KubeObject) => Promise<KubeObject | undefined>;
  /** Git access for `git:` includes. Without it a git include fails with a clear message. */
  readonly git?: GitSource;
  readonly gitAuth?: (url: string) => GitAuth | undefined;
  /** Registry access for `oci:` includes. Without it an oci include fails with a clear message. */
  readonly oci?: OciIncludeAccess;
  /** Lookup for `load_latest_git_commit`. Default: the `git` binary. */
  readonly latestGitCommit?: LatestGitCommit;
  /** Helm rendering (kube version, API versions, credentials, chart cache). Git access defaults to `git`. */
  readonly helm?: HelmRenderContext;
  /**
   * What vars sources reach (cluster, environment, AWS, HTTP, git ref listing); `git`/`gitAuth`
   * default to the options above. Default: none, so cluster/AWS/git sources fail with Kluctl's errors
   * and systemEnvVars sees an empty environment.
   */
  readonly varsServices?: VarsServices;
  /** Decrypts SOPS-encrypted vars files, item files and helm values. Default: none (they fail). */
  readonly sops?: SopsDecryptor;
  readonly signal?: AbortSignal;
}

/** The result of {@link renderProject}. */
export interface RenderedProject {
  /** The selected target after rename and context override. */
  readonly target: Target;
  /** The target's discriminator ("" when none). */
  readonly discriminator: string;
  /** The merged args the project was rendered with. */
  readonly args: Record<string, unknown>;
  /** The items the inclusion rules keep, in deployment order. */
  readonly items: readonly RenderedItem[];
  /** All objects of all items, in order. */
  readonly objects: readonly KubeObject[];
  readonly objectsHash: string;
  readonly renderDir: string;
  /** Every resolved `images.get_image` placeholder, in render order (Kluctl's seen images). */
  readonly seenImages: readonly FixedImage[];
  /** Vars loaded from sensitive sources (§3.2 `sensitive`); their values must never be printed. */
  readonly sensitiveVars: readonly SensitiveVars[];
  /** Non-fatal findings (targets skipped while loading, ...). */
  readonly warnings: readonly string[];
}

let sharedEngine: TemplateEngine | undefined;
function defaultEngine(): TemplateEngine {
  return (sharedEngine ??= new TemplateEngine());
}

/** Lists the targets of a project (for `list-targets`): rendered, sorted by name. */
export async function listTargets(
  projectDir: string,
  opts: { args?: Record<string, unknown>; engine?: TemplateEngine } = {},
): Promise<Target[]> {
  const config = readKluctlProjectConfig(resolve(projectDir));
  const loaded = await loadTargets(config, opts.args ?? {}, opts.engine ?? defaultEngine());
  return [...loaded.targets];
}

/** Vars for item files: `images` is the get_image object inside templates, never the user var (§3.4). */
function itemTemplateVars(vars: Dict): TemplateVars {
  if (!('images' in vars)) return vars;
  const { images: _shadowed, ...rest } = vars;
  return rest;
}

/** Renders a Kluctl project for one target into objects, in deployment order, with their hash. */
export async function renderProject(opts: RenderOptions): Promise<RenderedProject> {
  const engine = opts.engine ?? defaultEngine();
  const projectDir = resolve(opts.projectDir);
  const sourceRoot = resolve(opts.sourceRoot ?? projectDir);
  const externalArgs: Dict = opts.args ?? {};
  const inclusion = opts.inclusion ? normalizeInclusion(opts.inclusion) : undefined;

  const config = readKluctlProjectConfig(projectDir);
  const loaded = await loadTargets(config, externalArgs, engine);
  const target = selectTarget(loaded, {
    name: opts.target,
    nameOverride: opts.targetNameOverride,
    contextOverride: opts.contextOverride,
  });
  const args = mergeArgs({ declarations: config.args, targetArgs: target.args, externalArgs });
  const discriminator = target.discriminator ?? '';
  const renderDir = opts.renderDir
    ? resolve(opts.renderDir)
    : await mkdtemp(join(tmpdir(), 'kluctl-render-'));
  const globalsFor = (file: string, searchDirs: readonly string[], vars: Dict): TemplateGlobals =>
    templateFunctions({
      engine,
      sourceRoot,
      searchDirs,
      currentFile: file,
      vars,
      ...(opts.latestGitCommit ? { latestGitCommit: opts.latestGitCommit } : {}),
    });

  const varsRuntime = new VarsRuntime({
    ...(opts.git ? { git: opts.git } : {}),
    ...(opts.gitAuth ? { gitAuth: opts.gitAuth } : {}),
    ...opts.varsServices,
    ...(opts.sops ? { sops: opts.sops } : {}),
  });
  const all = await loadDeploymentItems({
    varsRuntime,
    engine,
    sourceRoot,
    projectDir,
    vars: { target: targetVars(target), args },
    checkoutDir: join(renderDir, RENDER_GIT_CHECKOUTS_DIR),
    globalsFor,
    ...(opts.oci ? { oci: opts.oci } : {}),
    ...(opts.git ? { git: opts.git } : {}),
    ...(opts.gitAuth ? { gitAuth: opts.gitAuth } : {}),
  }).finally(() => varsRuntime.dispose());
  // Excluded items are dropped before rendering, as Kluctl's deployment collection does (§2.8).
  const planned = all.filter((p) =>
    isItemIncluded(inclusion, p.config, { tags: p.tags, ...(p.absDir ? { dir: p.relDir } : {}) }),
  );
  const dest = (p: PlannedItem): string | undefined =>
    p.absDir ? join(renderDir, p.renderedRelDir) : undefined;

  const helmCtx: HelmRenderContext = {
    ...(opts.git ? { git: opts.git } : {}),
    ...(opts.gitAuth ? { gitAuth: opts.gitAuth } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...opts.helm,
  };
  // Render everything first: kustomizations may use other rendered items (onlyRender bases) (§4.1).
  // Each stage runs for every item and reports all items that failed, as Kluctl's deployment
  // collection does (its controller counts them: "prepare failed with N errors").
  await mapBoundedAll(planned, 4, async (p) => {
    if (!p.absDir) return;
    const vars = itemTemplateVars(p.vars);
    await renderItemDir({
      engine,
      sourceRoot: p.project.sourceRoot,
      srcDir: p.absDir,
      destDir: dest(p)!,
      vars,
      globalsFor: (file) => globalsFor(file, p.searchDirs, vars),
    });
    // SOPS files are decrypted after templating, before kustomize and helm read them (§8.1, 8.2).
    await decryptTreeInPlace(opts.sops, dest(p)!, { label: p.relDir });
  });
  // Helm output is written next to its helm-chart.yaml before kustomize reads the dir (§4.2).
  const helmWarnings = (
    await mapBoundedAll(planned, 4, (p) =>
      p.absDir
        ? renderHelmCharts({
            ctx: helmCtx,
            sourceRoot: p.project.sourceRoot,
            itemDir: p.absDir,
            renderedDir: dest(p)!,
            relDir: p.relDir,
          })
        : Promise.resolve([]),
    )
  ).flat();
  // Links between items resolve in the one render tree, as in Kluctl (§2.9).
  const links = new Map<PlannedItem, MaterialisedLinks>();
  for (const p of planned) {
    const d = dest(p);
    if (d) links.set(p, await materialiseSymlinks(d, symlinkScope(renderDir, p)));
  }
  // Plain resource-list kustomizations are built in process (identical output, proven against the
  // binary by test/integration/render-fast-path.test.ts); everything else goes to the real kustomize.
  const builder =
    opts.builder ?? fastPathBuilder(binaryBuilder(opts.kustomizePath ?? runtimeToolPath('kustomize')));
  const built = await mapBoundedAll(planned, opts.kustomizeConcurrency ?? 4, (p) =>
    buildItem(p, {
      renderedDir: dest(p),
      build: withLinkHint(builder, links.get(p)?.unresolved),
      linkedDirs: links.get(p)?.linkedDirs ?? [],
      ...(opts.signal ? { signal: opts.signal } : {}),
    }),
  );

  const fixedImages = [...(target.images ?? []), ...(opts.fixedImages ?? [])];
  const seenImages: FixedImage[] = [];
  const items: RenderedItem[] = [];
  // Sequential, so seen images come in deployment order.
  for (const [i, p] of planned.entries()) {
    items.push(
      await finishItem(p, built[i]!, {
        discriminator,
        renderedDir: dest(p),
        fixedImages,
        seenImages,
        ...(opts.remoteObject ? { remoteObject: opts.remoteObject } : {}),
      }),
    );
  }
  const objects = items.flatMap((i) => i.objects);
  // Offline (no scope lookup) the real Kluctl leaves namespaces, and the internal
  // kluctl.io/helm-install-namespace annotation of Helm objects, as rendered (checked by test/parity).
  if (opts.isNamespaced) await fixNamespaces(objects, opts.isNamespaced);
  return {
    target,
    discriminator,
    args,
    items,
    objects,
    objectsHash: objectsHash(objects),
    renderDir,
    seenImages,
    sensitiveVars: varsRuntime.sensitive,
    warnings: [...loaded.warnings, ...helmWarnings],
  };
}
