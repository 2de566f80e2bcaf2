/**
 * Resolving server-side apply conflicts field by field (kluctl-semantics §7.6, §2.7, §5.2). The rules
 * are the project's `conflictResolution` entries followed by the object's annotations (force-apply
 * rules before ignore rules, so that ignore wins). For each conflicting field: `ignore` drops it
 * silently; `force-apply` keeps it; otherwise it is kept when one of its current managers is a known
 * interactive editor (kubectl, k9s, rancher, or kluctl itself), else it is dropped from the patch with a
 * "lost field ownership" warning when the local value differs from the live one.
 */
import { KsError } from '../../errors.js';
import type { KubeObject } from '../../ports.js';
import { parseJsonPath } from '../../util/json-path.js';
import type { PathSegment } from '../../util/json-path.js';
import { isGoTrue } from '../../util/go-bool.js';
import { refOf } from '../object-ref.js';
import { entryFields, ruleMatches } from '../object-rules.js';
import type { ObjectFilter } from '../object-rules.js';
import type { KeyPath } from './managed-fields.js';
import {
  allKeyPaths,
  fieldOwners,
  getAtKeys,
  keyPathString,
  removeAtKeys,
  resolveFieldPath,
  sameJson,
} from './managed-fields.js';

/** What to do with a conflicting field. */
export type ConflictAction = 'ignore' | 'force-apply';

/** One `conflictResolution` rule (deployment.yaml) or one derived from an annotation. */
export interface ConflictRule extends ObjectFilter {
  /** JSONPaths of fields (`..` means every field). */
  readonly fieldPath?: readonly string[];
  /** Regexes on Kluctl's canonical field path (`spec.template.spec.containers[0].image`). */
  readonly fieldPathRegex?: readonly string[];
  /** Regexes on field manager names. */
  readonly manager?: readonly string[];
  readonly action: ConflictAction;
}

/** A field of a conflict cause as the API returns it (`details.causes[]`). */
export interface ConflictCause {
  readonly field?: string;
  readonly message?: string;
  readonly reason?: string;
}

/** A field kluctl gave up because another manager owns it. */
export interface LostOwnership {
  readonly field: string;
  readonly message: string;
}

/** Managers whose edits Kluctl overwrites: people editing by hand, and kluctl itself. */
const KNOWN_EDITORS = [/^kluctl$/, /^kluctl-.*$/, /^kubectl$/, /^kubectl-.*$/, /^rancher$/, /^k9s$/];

type Dict = Record<string, unknown>;

/**
 * Validates raw `conflictResolution` entries; throws KsError naming the entry and the fix. Fields may
 * be a string or a list of strings, as in Kluctl.
 */
export function parseConflictRules(raw: readonly unknown[]): ConflictRule[] {
  return raw.map((entry, i) => {
    const bad = (why: string): never => {
      throw new KsError('InvalidInput', `conflictResolution[${i}]: ${why}`);
    };
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return bad('must be a map');
    const e = entry as Dict;
    const { list, str } = entryFields(e, bad);
    const action = e.action;
    if (action !== 'ignore' && action !== 'force-apply')
      return bad(`action must be 'ignore' or 'force-apply', got ${JSON.stringify(action)}`);
    const fieldPath = list('fieldPath');
    const fieldPathRegex = list('fieldPathRegex');
    const manager = list('manager');
    if (!fieldPath && !fieldPathRegex && !manager)
      bad('set at least one of fieldPath, fieldPathRegex and manager');
    const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> =>
      v === undefined ? {} : ({ [k]: v } as Record<K, V>);
    return {
      ...opt('group', str('group')),
      ...opt('kind', str('kind')),
      ...opt('name', str('name')),
      ...opt('namespace', str('namespace')),
      ...opt('fieldPath', fieldPath),
      ...opt('fieldPathRegex', fieldPathRegex),
      ...opt('manager', manager),
      action,
    };
  });
}

function annotationValues(obj: KubeObject, key: string): string[] {
  const rx = new RegExp(`^${key.replace(/[.]/g, '\\.')}(-\\d*)?$`);
  return Object.entries(obj.metadata.annotations ?? {})
    .filter(([k]) => rx.test(k))
    .map(([, v]) => v);
}

/** The project's rules followed by those of the object's annotations (ignore after force-apply). */
function rulesFor(local: KubeObject, projectRules: readonly ConflictRule[]): ConflictRule[] {
  const ann = local.metadata.annotations ?? {};
  const all: ConflictRule[] = [...projectRules];
  if (isGoTrue(ann['kluctl.io/force-apply'])) all.push({ fieldPath: ['..'], action: 'force-apply' });
  for (const m of annotationValues(local, 'kluctl.io/force-apply-manager'))
    all.push({ manager: [m], action: 'force-apply' });
  for (const f of annotationValues(local, 'kluctl.io/force-apply-field'))
    all.push({ fieldPath: [f], action: 'force-apply' });
  if (isGoTrue(ann['kluctl.io/ignore-conflicts'])) all.push({ fieldPath: ['..'], action: 'ignore' });
  for (const m of annotationValues(local, 'kluctl.io/ignore-conflicts-manager'))
    all.push({ manager: [m], action: 'ignore' });
  for (const f of annotationValues(local, 'kluctl.io/ignore-conflicts-field'))
    all.push({ fieldPath: [f], action: 'ignore' });
  return all;
}

/** Key paths a JSONPath selects in `root` (`..` alone selects every field). */
export function matchJsonPath(root: unknown, path: string): KeyPath[] {
  const p = path.trim();
  if (p === '..' || p === '$..') return allKeyPaths(root);
  const segments = parseJsonPath(p);
  let current: { keys: (string | number)[]; value: unknown }[] = [{ keys: [], value: root }];
  for (const seg of segments) current = current.flatMap((c) => step(c, seg));
  return current.map((c) => c.keys);
}

function step(
  c: { keys: (string | number)[]; value: unknown },
  seg: PathSegment,
): { keys: (string | number)[]; value: unknown }[] {
  const v = c.value;
  if (seg.kind === 'key') {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !(seg.key in v)) return [];
    return [{ keys: [...c.keys, seg.key], value: (v as Dict)[seg.key] }];
  }
  if (seg.kind === 'index') {
    if (!Array.isArray(v)) return [];
    const i = seg.index < 0 ? v.length + seg.index : seg.index;
    return i >= 0 && i < v.length ? [{ keys: [...c.keys, i], value: (v as unknown[])[i] }] : [];
  }
  if (Array.isArray(v)) return (v as unknown[]).map((x, i) => ({ keys: [...c.keys, i], value: x }));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).map(([k, x]) => ({ keys: [...c.keys, k], value: x }));
  return [];
}

/** Fields the rules decide, keyed by canonical path; later rules override earlier ones. */
function ruleActions(
  local: KubeObject,
  remote: KubeObject,
  rules: readonly ConflictRule[],
  owners: ReturnType<typeof fieldOwners>,
): Map<string, ConflictAction> {
  const out = new Map<string, ConflictAction>();
  const ref = refOf(local);
  let localFields: string[] | undefined;
  for (const r of rules) {
    if (!ruleMatches(r, ref)) continue;
    for (const fp of r.fieldPath ?? []) {
      for (const obj of [local, remote])
        for (const k of matchJsonPath(obj, fp)) out.set(keyPathString(k), r.action);
    }
    for (const rx of r.fieldPathRegex ?? []) {
      const re = new RegExp(rx);
      localFields ??= allKeyPaths(local).map(keyPathString);
      for (const f of localFields) if (re.test(f)) out.set(f, r.action);
    }
    for (const m of r.manager ?? []) {
      const re = new RegExp(m);
      for (const o of owners.values()) {
        if (!o.managers.some((name) => re.test(name))) continue;
        for (const p of o.paths) {
          const k = resolveFieldPath(remote, p);
          if (k) out.set(keyPathString(k), r.action);
        }
      }
    }
  }
  return out;
}

/**
 * Resolves the conflicts of a failed apply: returns the object to re-apply with force (conflicting
 * fields that must not be overwritten removed) and the fields whose ownership was lost. Throws KsError
 * when a cause cannot be mapped onto the objects.
 */
export function resolveConflicts(
  local: KubeObject,
  remote: KubeObject,
  causes: readonly ConflictCause[],
  projectRules: readonly ConflictRule[],
): { object: KubeObject; lostOwnership: LostOwnership[] } {
  const owners = fieldOwners(remote);
  const actions = ruleActions(local, remote, rulesFor(local, projectRules), owners);
  const drop: KeyPath[] = [];
  const lost: LostOwnership[] = [];
  for (const cause of causes) {
    const field = cause.field ?? '';
    const msg = cause.message ?? 'conflict';
    const fail = (why: string): never => {
      throw new KsError('KubeConflict', `${msg}. ${why}`);
    };
    if (cause.reason !== 'FieldManagerConflict') fail(`unknown conflict cause type ${cause.reason ?? ''}`);
    const o = owners.get(field);
    if (!o) return fail(`Could not find matching field for path '${field}'`);
    if (o.paths.length !== 1) fail(`Field path '${field}' is ambiguous`);
    const localKeys = resolveFieldPath(local, o.paths[0]!);
    if (!localKeys) return fail(`Field '${field}' not found in local object`);
    const remoteKeys = resolveFieldPath(remote, o.paths[0]!);
    if (!remoteKeys) return fail(`Field '${field}' not found in remote object`);
    const action = actions.get(keyPathString(localKeys)) ?? actions.get(keyPathString(remoteKeys));
    const ignore = action === 'ignore';
    const overwrite =
      action === 'force-apply' || (!ignore && o.managers.some((m) => KNOWN_EDITORS.some((re) => re.test(m))));
    if (overwrite) continue;
    drop.push(localKeys);
    if (!ignore && !sameJson(getAtKeys(local, localKeys), getAtKeys(remote, remoteKeys)))
      lost.push({ field, message: msg });
  }
  const object = structuredClone(local);
  removeAtKeys(object, drop);
  return { object, lostOwnership: lost };
}
