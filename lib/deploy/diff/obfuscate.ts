/**
 * Hiding Secret values (kluctl-semantics §7.7, obfuscate e2e test): changes under `data`/`stringData`
 * of a core Secret get `*****` as values and `***** (obfuscated)` in their diff text; Secret bodies get
 * `*****` (base64 in `data`). Unlike Kluctl, bodies are really obfuscated, so no stored or printed
 * result holds a Secret value.
 */
import type { Change } from '../../api/types.js';
import type { KubeObject, ObjectRef } from '../../ports.js';
import { isMap } from './key-path.js';
import { buildUnifiedDiff, NOT_PRESENT } from './unified-diff.js';

const HIDDEN = '*****';
const HIDDEN_B64 = Buffer.from(HIDDEN).toString('base64');
const DATA_PATH = /^(data|stringData)([.[]|$)/;

/** Whether a ref is a core Secret. */
function isSecretRef(ref: Pick<ObjectRef, 'group' | 'kind'>): boolean {
  return ref.kind === 'Secret' && (ref.group ?? '') === '';
}

/** The changes of a Secret with every value replaced (changes of other objects are returned as they are). */
export function obfuscateChanges(
  ref: Pick<ObjectRef, 'group' | 'kind'>,
  changes: readonly Change[],
): Change[] {
  if (!isSecretRef(ref)) return [...changes];
  return changes.map((c) => {
    if (!DATA_PATH.test(c.jsonPath)) return c;
    const has = (v: unknown): boolean => v !== undefined;
    // Distinct markers on both sides keep the diff's shape, then both read "(obfuscated)".
    const oldM = has(c.oldValue) ? replaceValues(c.oldValue, `${HIDDEN}b`) : NOT_PRESENT;
    const newM = has(c.newValue) ? replaceValues(c.newValue, `${HIDDEN}a`) : NOT_PRESENT;
    const diff = buildUnifiedDiff(oldM, newM)
      .replaceAll(`${HIDDEN}a`, `${HIDDEN} (obfuscated)`)
      .replaceAll(`${HIDDEN}b`, `${HIDDEN} (obfuscated)`);
    return {
      type: c.type,
      jsonPath: c.jsonPath,
      ...(has(c.oldValue) ? { oldValue: replaceValues(c.oldValue, HIDDEN) } : {}),
      ...(has(c.newValue) ? { newValue: replaceValues(c.newValue, HIDDEN) } : {}),
      unifiedDiff: diff,
    };
  });
}

function replaceValues(v: unknown, marker: string): unknown {
  if (isMap(v)) return Object.fromEntries(Object.keys(v).map((k) => [k, marker]));
  if (Array.isArray(v)) return v.map(() => marker);
  return marker;
}

/** A Secret with hidden values and without the last-applied annotation; other objects unchanged. */
export function obfuscateObject<T extends KubeObject | undefined>(obj: T): T {
  if (!obj || obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return obj;
  const copy = structuredClone(obj) as KubeObject;
  if (isMap(copy.data)) for (const k of Object.keys(copy.data)) copy.data[k] = HIDDEN_B64;
  if (isMap(copy.stringData)) for (const k of Object.keys(copy.stringData)) copy.stringData[k] = HIDDEN;
  const ann = copy.metadata.annotations;
  if (ann) delete ann['kubectl.kubernetes.io/last-applied-configuration'];
  return copy as T;
}
