/**
 * `images.get_image()` placeholders (kluctl-semantics §3.6): the template function returns a marker
 * that survives kustomize; after the build every string leaf of every object is scanned and markers are
 * replaced by the fixed image that matches the image name, the object's namespace, `<Kind>/<name>` and
 * the `name` of the map holding the field. Every resolution is recorded as a seen image.
 */
import { KsError } from '../errors.js';
import type { KubeObject } from '../ports.js';
import { resolveFixedImage } from './fixed-images.js';
import type { FixedImage } from './fixed-images.js';

/** How a `get_image` marker begins (Kluctl's spelling); a string without it holds no marker. */
export const IMAGE_PLACEHOLDER_BEGIN = 'XXXXXbegin_get_image_';
const END = '_end_get_imageXXXXX';

/** The marker `images.get_image(image)` renders to (base64 of Python's `json.dumps({"image": ...})`). */
export function imagePlaceholder(image: string, latestVersion?: unknown): string {
  let json = `{"image": ${JSON.stringify(image)}`;
  // `latest_version` is obsolete in Kluctl: it is recorded (to warn) and otherwise ignored.
  if (latestVersion !== undefined && latestVersion !== null) json += ', "hasLatestVersion": true';
  json += '}';
  return `${IMAGE_PLACEHOLDER_BEGIN}${Buffer.from(json, 'utf8').toString('base64')}${END}`;
}

/** Inputs of {@link resolveImagePlaceholders} for one object. */
export interface ResolveImagesInput {
  /** Target images, then fixed-images file, then `-F` (controller: target images, then spec.images). */
  readonly fixedImages: readonly FixedImage[];
  /** The `images` variable of the item's vars context. */
  readonly varsImages: readonly FixedImage[];
  /** The item dir relative to the source root. */
  readonly deploymentDir: string;
  readonly tags: readonly string[];
  /** The live object, when a cluster is at hand: gives `deployedImage` for whole-field placeholders. */
  readonly remote?: KubeObject;
}

interface Found {
  readonly path: readonly (string | number)[];
  readonly container: string;
  readonly image: string;
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

function parseMarker(value: string, from: number, where: string): Found | undefined {
  const start = value.indexOf(IMAGE_PLACEHOLDER_BEGIN, from);
  if (start < 0) return undefined;
  const endAt = value.indexOf(END, start + IMAGE_PLACEHOLDER_BEGIN.length);
  if (endAt < 0) throw new KsError('InvalidInput', `${where}: get_image placeholder begins but never ends`);
  const b64 = value.slice(start + IMAGE_PLACEHOLDER_BEGIN.length, endAt);
  let image: unknown;
  try {
    image = (JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { image?: unknown }).image;
  } catch (err) {
    throw new KsError('InvalidInput', `${where}: malformed get_image placeholder`, { cause: err });
  }
  if (typeof image !== 'string')
    throw new KsError('InvalidInput', `${where}: get_image placeholder without image`);
  return { path: [], container: '', image, start, end: endAt + END.length, value };
}

function scan(v: unknown, parent: unknown, path: (string | number)[], out: Found[], where: string): void {
  if (typeof v === 'string') {
    if (!v.includes(IMAGE_PLACEHOLDER_BEGIN)) return;
    const container =
      parent !== null && typeof parent === 'object' && !Array.isArray(parent)
        ? (parent as Record<string, unknown>).name
        : undefined;
    for (let f = parseMarker(v, 0, where); f; f = parseMarker(v, f.end, where))
      out.push({ ...f, path: [...path], container: typeof container === 'string' ? container : '' });
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => scan(x, v, [...path, i], out, where));
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) scan(x, v, [...path, k], out, where);
  }
}

function getAt(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function setAt(obj: unknown, path: readonly (string | number)[], value: string): void {
  const parent = getAt(obj, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
}

/**
 * Replaces every placeholder of `obj` (in place) and returns the seen images in field order. Throws
 * Kluctl's `failed to find fixed image for <image>` when nothing matches.
 */
export function resolveImagePlaceholders(obj: KubeObject, input: ResolveImagesInput): FixedImage[] {
  const kind = obj.kind ?? '';
  const name = obj.metadata?.name ?? '';
  const namespace = obj.metadata?.namespace ?? '';
  const deployment = `${kind}/${name}`;
  const found: Found[] = [];
  scan(obj, undefined, [], found, `${deployment} in ${input.deploymentDir}`);
  const seen: FixedImage[] = [];
  // Backwards, so offsets of earlier markers in the same string stay valid.
  for (let i = found.length - 1; i >= 0; i--) {
    const f = found[i]!;
    const q = { image: f.image, namespace, deployment, container: f.container };
    const result = resolveFixedImage(q, input.fixedImages, input.varsImages);
    const current = getAt(obj, f.path) as string;
    let deployedImage: string | undefined;
    if (input.remote && f.start === 0 && f.end === f.value.length) {
      const live = getAt(input.remote, f.path);
      if (typeof live === 'string') deployedImage = live;
    }
    seen.unshift({
      image: f.image,
      ...(result !== undefined ? { resultImage: result } : {}),
      ...(deployedImage !== undefined ? { deployedImage } : {}),
      namespace,
      object: {
        ...(obj.apiVersion.includes('/') ? { group: obj.apiVersion.split('/')[0] } : {}),
        version: obj.apiVersion.split('/').pop(),
        kind,
        name,
        ...(namespace ? { namespace } : {}),
      },
      deployment,
      container: f.container,
      deployTags: [...input.tags],
      deploymentDir: input.deploymentDir,
    });
    if (result === undefined) throw new KsError('InvalidInput', `failed to find fixed image for ${f.image}`);
    setAt(obj, f.path, current.slice(0, f.start) + result + current.slice(f.end));
  }
  return seen;
}

/** Sorts seen images by image name as `list-images` prints them; `simple` keeps image and result only. */
export function listSeenImages(seen: readonly FixedImage[], simple: boolean): FixedImage[] {
  const out = seen.map((s) =>
    simple
      ? { image: s.image, resultImage: s.resultImage ?? '' }
      : { ...s, resultImage: s.resultImage ?? '' },
  );
  const key = (s: FixedImage): string => s.image ?? s.imageRegex ?? '';
  // A stable sort keeps render order among equal names, as Go's sort.Slice on a short list usually does.
  return out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
