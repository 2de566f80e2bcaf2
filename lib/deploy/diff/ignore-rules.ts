/**
 * `ignoreForDiff` rules (kluctl-semantics §2.2, §7.7): fields left out of diffs, from `deployment.yaml`
 * (the item's project and its parents), from the diff command's `--ignore-*` flags and from the
 * `kluctl.io/ignore-diff-field[-n]` / `kluctl.io/ignore-diff-field-regex[-n]` annotations.
 */
import { ProjectLoadError } from '../../errors.js';
import type { KubeObject } from '../../ports.js';
import { entryFields } from '../object-rules.js';
import type { ObjectFilter } from '../object-rules.js';

/** One rule: which objects (unset filters match all) and which fields. */
export interface IgnoreForDiffRule extends ObjectFilter {
  readonly fieldPath?: readonly string[];
  readonly fieldPathRegex?: readonly string[];
}

/** The diff command's `--ignore-tags`, `--ignore-labels`, `--ignore-annotations`, `--ignore-kluctl-metadata`. */
export interface IgnoreFlags {
  readonly ignoreTags?: boolean;
  readonly ignoreLabels?: boolean;
  readonly ignoreAnnotations?: boolean;
  readonly ignoreKluctlMetadata?: boolean;
}

const TAG_LABELS = String.raw`metadata\.labels\["kluctl\.io/tag-.*"\]`;

/** The extra rules the ignore flags stand for (Kluctl's GetIgnoreForDiffs). */
export function rulesForFlags(flags: IgnoreFlags): IgnoreForDiffRule[] {
  const out: IgnoreForDiffRule[] = [];
  if (flags.ignoreTags) out.push({ fieldPathRegex: [TAG_LABELS] });
  if (flags.ignoreLabels) out.push({ fieldPath: ['metadata.labels.*'] });
  if (flags.ignoreAnnotations) out.push({ fieldPath: ['metadata.annotations.*'] });
  if (flags.ignoreKluctlMetadata) {
    out.push({ fieldPathRegex: [TAG_LABELS] });
    out.push({ fieldPathRegex: [String.raw`metadata\.labels\["kluctl\.io/discriminator"\]`] });
    out.push({ fieldPathRegex: [String.raw`metadata\.annotations\["kluctl\.io/deployment-item-dir"\]`] });
  }
  return out;
}

/**
 * Validates the raw `ignoreForDiff` list of a deployment.yaml: `fieldPath`/`fieldPathRegex` are a
 * string or a list of strings, at least one of them is set, filters are strings.
 */
export function parseIgnoreForDiff(
  raw: readonly unknown[] | undefined,
  file = 'deployment.yaml',
): IgnoreForDiffRule[] {
  return (raw ?? []).map((r, i) => {
    const bad = (why: string): never => {
      throw new ProjectLoadError(`ignoreForDiff[${i}]: ${why}`, { file });
    };
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('expected a map');
    const m = r as Record<string, unknown>;
    const { list, str } = entryFields(m, bad);
    for (const k of Object.keys(m)) {
      if (!['fieldPath', 'fieldPathRegex', 'group', 'kind', 'name', 'namespace'].includes(k))
        bad(`unknown field '${k}'`);
    }
    const fieldPath = list('fieldPath');
    const fieldPathRegex = list('fieldPathRegex');
    if ((fieldPath?.length ?? 0) + (fieldPathRegex?.length ?? 0) === 0)
      bad('at least one of fieldPath or fieldPathRegex must be set');
    const rule: Record<string, unknown> = {};
    for (const [k, v] of Object.entries({
      fieldPath,
      fieldPathRegex,
      group: str('group'),
      kind: str('kind'),
      name: str('name'),
      namespace: str('namespace'),
    }))
      if (v !== undefined) rule[k] = v;
    return rule as IgnoreForDiffRule;
  });
}

const FIELD_ANNOTATION = /^kluctl\.io\/ignore-diff-field(-\d*)?$/;
const REGEX_ANNOTATION = /^kluctl\.io\/ignore-diff-field-regex(-\d*)?$/;

/** The rules an object's own annotations add (they apply to that object only). */
export function rulesFromAnnotations(obj: KubeObject): IgnoreForDiffRule[] {
  const out: IgnoreForDiffRule[] = [];
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (FIELD_ANNOTATION.test(k)) out.push({ fieldPath: [v] });
    else if (REGEX_ANNOTATION.test(k)) out.push({ fieldPathRegex: [v] });
  }
  return out;
}
