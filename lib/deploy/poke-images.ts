/**
 * `poke-images` (kluctl-semantics §7.11): for every image the render resolved, set only the `image` of
 * the matching container (by container name) in `spec.template.spec.containers`/`initContainers` of the
 * live object, by GET and PUT, retried when the object changed in between. Nothing else of the live
 * object changes; objects missing in the cluster are reported as warnings.
 */
import type { FixedImage } from '../images/fixed-images.js';
import { FIELD_MANAGER } from '../api/constants.js';
import { KubeApiError, errorMessage } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef, Progress } from '../ports.js';
import { silentProgress } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { computeChanges } from './changes.js';
import type { ResultObject } from './command-result.js';
import type { DeployOutcome } from './deploy-types.js';
import { refKey, refOf } from './object-ref.js';

/** What to poke (RenderedProject satisfies this). */
export interface PokeImagesInput {
  readonly items: readonly { readonly onlyRender?: boolean; readonly objects: readonly KubeObject[] }[];
  readonly seenImages: readonly FixedImage[];
}

/** Options of {@link pokeImages}. */
export interface PokeImagesOptions {
  /** Server-side dry run of the PUTs. */
  readonly dryRun?: boolean;
  readonly progress?: Progress;
  /** Attempts per object when the object changed between GET and PUT (default 10). */
  readonly maxAttempts?: number;
}

type Dict = Record<string, unknown>;

function refOfSeen(image: FixedImage): ObjectRef | undefined {
  const o = image.object as {
    group?: string;
    version?: string;
    kind?: string;
    name?: string;
    namespace?: string;
  };
  if (!o?.kind || !o.name) return undefined;
  return {
    group: o.group ?? '',
    version: o.version ?? '',
    kind: o.kind,
    name: o.name,
    ...(o.namespace ? { namespace: o.namespace } : {}),
  };
}

/** A copy of `live` with the images of matching containers set; `live` itself when nothing changes. */
function pokeContainerImages(live: KubeObject, images: readonly FixedImage[]): KubeObject {
  const copy = structuredClone(live);
  const podSpec = ((copy.spec as Dict | undefined)?.template as Dict | undefined)?.spec as Dict | undefined;
  let changed = false;
  for (const field of ['containers', 'initContainers']) {
    const containers = podSpec?.[field];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Dict[]) {
      for (const img of images) {
        if (img.container === undefined || img.resultImage === undefined || c.name !== img.container)
          continue;
        if (c.image !== img.resultImage) {
          c.image = img.resultImage;
          changed = true;
        }
      }
    }
  }
  return changed ? copy : live;
}

/** Pokes the images of a rendered project into the live objects. */
export async function pokeImages(
  kube: KubeClient,
  input: PokeImagesInput,
  opts: PokeImagesOptions = {},
): Promise<DeployOutcome> {
  const progress = opts.progress ?? silentProgress;
  const out: DeployOutcome = { objects: [], errors: [], warnings: [] };
  const rendered = new Map<string, KubeObject>();
  for (const item of input.items.filter((i) => !i.onlyRender))
    for (const o of item.objects) rendered.set(refKey(refOf(o)), o);
  const byObject = new Map<string, { ref: ObjectRef; images: FixedImage[] }>();
  for (const img of input.seenImages) {
    const ref = refOfSeen(img);
    if (!ref) continue;
    const key = refKey(ref);
    if (!rendered.has(key)) {
      out.errors.push({
        ref,
        message: 'object not found while trying to associate image with deployed object',
      });
      continue;
    }
    const group = byObject.get(key) ?? { ref: refOf(rendered.get(key)!), images: [] };
    group.images.push(img);
    byObject.set(key, group);
  }
  progress.step(`poking images of ${byObject.size} objects`);
  await mapBounded([...byObject.entries()], 8, async ([key, { ref, images }]) => {
    const entry: ResultObject = { ref, rendered: rendered.get(key)! };
    out.objects.push(entry);
    try {
      await pokeOne(kube, entry, images, opts, out);
    } catch (err) {
      out.errors.push({ ref, message: errorMessage(err) });
    }
  });
  for (const e of out.errors) progress.step(`error: ${e.ref.kind} ${e.ref.name}: ${e.message}`);
  return out;
}

async function pokeOne(
  kube: KubeClient,
  entry: ResultObject,
  images: readonly FixedImage[],
  opts: PokeImagesOptions,
  out: DeployOutcome,
): Promise<void> {
  const attempts = opts.maxAttempts ?? 10;
  for (let i = 0; i < attempts; i++) {
    const live = await kube.get(entry.ref);
    if (!live) {
      out.warnings.push({
        ref: entry.ref,
        message: 'object not found in the cluster, its images were not poked',
      });
      return;
    }
    entry.remote ??= live;
    const modified = pokeContainerImages(live, images);
    if (modified === live) {
      entry.applied = live;
      return;
    }
    try {
      // The resourceVersion read above makes the PUT conditional: a concurrent change means retry.
      const applied = await kube.update(modified, {
        fieldManager: FIELD_MANAGER,
        dryRun: opts.dryRun ?? false,
      });
      entry.applied = applied;
      const changes = computeChanges(entry.remote, applied);
      if (changes.length > 0) entry.changes = changes;
      return;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 'KubeConflict')) throw err;
    }
  }
  out.errors.push({ ref: entry.ref, message: `giving up after ${attempts} conflicting updates` });
}
