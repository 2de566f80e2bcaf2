/**
 * Fixed images (kluctl-semantics §3.6): the entries that pin what `images.get_image("repo/name")`
 * resolves to, their three spellings (target/`spec.images` entries, a `--fixed-images-file`, the
 * `-F image[:namespace[:deployment[:container]]]=result` flag) and the matching rule.
 */
import { readFileSync } from 'node:fs';
import { KsError } from '../errors.js';
import { S, decodeYaml } from '../util/strict-yaml.js';
import type { Spec } from '../util/strict-yaml.js';

/** One fixed image entry as Kluctl's `FixedImage` has it. Unset filters match everything. */
export interface FixedImage {
  readonly image?: string;
  readonly imageRegex?: string;
  readonly resultImage?: string;
  readonly deployedImage?: string;
  readonly namespace?: string;
  /** The object the image was seen in (only in seen images). */
  readonly object?: Readonly<Record<string, unknown>>;
  /** `<Kind>/<name>` of the object. */
  readonly deployment?: string;
  readonly container?: string;
  readonly deployTags?: readonly string[];
  readonly deploymentDir?: string;
}

/** What a placeholder is resolved against. */
export interface ImageQuery {
  readonly image: string;
  readonly namespace: string;
  /** `<Kind>/<name>` of the object holding the placeholder. */
  readonly deployment: string;
  /** `name` of the map holding the field ("" when there is none). */
  readonly container: string;
}

/** The strict schema of one entry; shared by `.kluctl.yaml` targets and fixed-images files. */
export const FIXED_IMAGE_SPEC: Spec = S.object({
  image: S.string,
  imageRegex: S.string,
  resultImage: S.string,
  deployedImage: S.string,
  namespace: S.string,
  object: S.any,
  deployment: S.string,
  container: S.string,
  deployTags: S.list(S.string),
  deploymentDir: S.string,
});

const FIXED_IMAGES_FILE: Spec = S.object({ images: S.list(FIXED_IMAGE_SPEC) });

const FIXED_IMAGE_USAGE = "--fixed-image expects 'image<:namespace:deployment:container>=result'";

/** Parses one `-F/--fixed-image` value: `image[:namespace[:deployment[:container]]]=result`. */
export function parseFixedImageArg(arg: string): FixedImage {
  const parts = arg.split('=');
  if (parts.length !== 2) throw new KsError('InvalidInput', `${FIXED_IMAGE_USAGE}, got '${arg}'`);
  const [lhs, resultImage] = parts as [string, string];
  const fields = lhs.split(':');
  if (fields.length > 4) throw new KsError('InvalidInput', `${FIXED_IMAGE_USAGE}, got '${arg}'`);
  const [image, namespace, deployment, container] = fields;
  return {
    image: image!,
    resultImage,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(deployment !== undefined ? { deployment } : {}),
    ...(container !== undefined ? { container } : {}),
  };
}

/** Decodes the text of a fixed-images file (`{images: [...]}`, the output of `list-images`). */
export function parseFixedImagesFile(text: string, file: string): FixedImage[] {
  const doc = decodeYaml<{ images?: (FixedImage | null)[] }>(text, FIXED_IMAGES_FILE, file);
  return (doc.images ?? []).map((fi) => fi ?? {});
}

/** Reads a `--fixed-images-file`. */
export function readFixedImagesFile(path: string): FixedImage[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KsError('InvalidInput', `cannot read fixed images file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseFixedImagesFile(text, path);
}

/**
 * Converts the `images` template variable into entries; Kluctl reads it as a list of FixedImage and
 * fails the render when it has another shape.
 */
export function fixedImagesFromVars(value: unknown): FixedImage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new KsError('InvalidInput', 'failed to parse fixed images from vars: images must be a list');
  return value.map((v, i) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new KsError('InvalidInput', `failed to parse fixed image from vars at index ${i}: not an object`);
    return v as FixedImage;
  });
}

const regexCache = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (!r) {
    try {
      // Go's MatchString is an unanchored search, as RegExp.test is.
      r = new RegExp(pattern);
    } catch (err) {
      throw new KsError('InvalidInput', `invalid imageRegex '${pattern}': ${(err as Error).message}`, {
        cause: err,
      });
    }
    regexCache.set(pattern, r);
  }
  return r;
}

/** Whether one entry matches the query; unset filters match anything. */
function fixedImageMatches(fi: FixedImage, q: ImageQuery): boolean {
  if (fi.image !== undefined && fi.image !== q.image) return false;
  if (fi.imageRegex !== undefined && !compile(fi.imageRegex).test(q.image)) return false;
  if (fi.namespace !== undefined && fi.namespace !== q.namespace) return false;
  if (fi.deployment !== undefined && fi.deployment !== q.deployment) return false;
  if (fi.container !== undefined && fi.container !== q.container) return false;
  return true;
}

/** The result image of the last matching entry of `list`, or undefined. */
function lastMatch(list: readonly FixedImage[], q: ImageQuery): string | undefined {
  for (let i = list.length - 1; i >= 0; i--) {
    const fi = list[i]!;
    if (fixedImageMatches(fi, q)) return fi.resultImage ?? '';
  }
  return undefined;
}

/**
 * Resolves an image as Kluctl does: the explicit list (target images, then the fixed-images file,
 * then `-F` flags; controller: target images, then `spec.images`) first, then the `images` var.
 */
export function resolveFixedImage(
  q: ImageQuery,
  explicit: readonly FixedImage[],
  fromVars: readonly FixedImage[],
): string | undefined {
  return lastMatch(explicit, q) ?? lastMatch(fromVars, q);
}
