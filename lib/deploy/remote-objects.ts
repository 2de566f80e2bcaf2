/**
 * Finds the live objects that belong to a deployment (kluctl-semantics §7.8): every listable resource
 * type is listed with the discriminator label selector, in parallel. A type whose cluster-wide listing
 * is forbidden is listed in each namespace the project uses instead, with Kluctl's warnings. Rendered
 * objects not found that way (created by someone else, or without a discriminator) are read one by one.
 */
import { LABEL_DISCRIMINATOR } from '../api/constants.js';
import { KubeApiError } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef, ResourceInfo } from '../ports.js';
import { mapBounded } from '../util/semaphore.js';
import { refKey, refOf } from './object-ref.js';

/** Live objects keyed by {@link refKey}, plus per-object warnings. */
export interface RemoteObjects {
  readonly byKey: Map<string, KubeObject>;
  readonly warnings: { ref: ObjectRef; message: string }[];
}

/** Options of {@link collectRemoteObjects}. */
export interface RemoteObjectsOptions {
  /** Only list the group/kinds of the rendered objects (Kluctl's validate). Default false. */
  readonly onlyUsedKinds?: boolean;
  /** Namespaces for the fallback listing; default those of the rendered objects. */
  readonly usedNamespaces?: readonly string[];
  /** Read rendered objects not found by listing one by one. Default true. */
  readonly getMissing?: boolean;
}

/** The empty ref of messages that concern no single object. */
export const NO_REF: ObjectRef = { group: '', version: '', kind: '', name: '' };

/** Kluctl's warning after falling back to listing per namespace. */
export const NAMESPACE_FALLBACK_WARNING =
  'listing objects by discriminator on global level failed due to permission errors, so Kluctl ' +
  'reverted to listing on namespace level. This is not realiable and might end up missing detection ' +
  'for some orphan object';
/** Kluctl's warning when listing hit any permission error. */
export const LIST_PERMISSION_WARNING =
  'at least one permission error was encountered while gathering objects by discriminator labels. ' +
  'This might result in orphan object detection to not work properly';
const GET_PERMISSION_WARNING =
  'at least one permission error was encountered while gathering known objects. This might result ' +
  'in orphan object detection and diffs to not work properly';

/** Whether a resource type can be listed and deleted (only those take part in orphan search). */
export function isListable(r: ResourceInfo): boolean {
  return r.verbs.includes('list') && r.verbs.includes('delete');
}

/** The namespaces rendered objects live in or create. */
function usedNamespacesOf(rendered: readonly KubeObject[]): string[] {
  const out = new Set<string>();
  for (const o of rendered) {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') out.add(o.metadata.name);
    else if (o.metadata.namespace) out.add(o.metadata.namespace);
  }
  return [...out];
}

/** Lists objects with the discriminator, then reads the rendered ones not seen yet. */
export async function collectRemoteObjects(
  kube: KubeClient,
  discriminator: string,
  rendered: readonly KubeObject[],
  opts: RemoteObjectsOptions = {},
): Promise<RemoteObjects> {
  const byKey = new Map<string, KubeObject>();
  const warnings: RemoteObjects['warnings'] = [];
  const warnOnce = (message: string): void => {
    if (!warnings.some((w) => w.message === message)) warnings.push({ ref: NO_REF, message });
  };
  if (discriminator) {
    const used = new Set(rendered.map((o) => `${groupOf(o)}/${o.kind}`));
    const resources = (await kube.listResources()).filter(
      (r) => isListable(r) && (!opts.onlyUsedKinds || used.has(`${r.group}/${r.kind}`)),
    );
    const namespaces = opts.usedNamespaces ?? usedNamespacesOf(rendered);
    const selector = `${LABEL_DISCRIMINATOR}=${discriminator}`;
    let permissionErrors = 0;
    await mapBounded(resources, 8, async (r) => {
      try {
        for (const o of await kube.list(r, { labelSelector: selector })) byKey.set(refKey(refOf(o)), o);
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isForbidden(err)) {
          warnings.push({ ref: resourceRef(r), message: (err as Error).message });
          return;
        }
        permissionErrors++;
        if (!r.namespaced) return;
        for (const ns of namespaces) {
          const items = await kube.list(r, { namespace: ns, labelSelector: selector }).catch(() => []);
          if (items.length > 0) warnOnce(NAMESPACE_FALLBACK_WARNING);
          for (const o of items) byKey.set(refKey(refOf(o)), o);
        }
      }
    });
    if (permissionErrors > 0) warnOnce(LIST_PERMISSION_WARNING);
  }
  if (opts.getMissing === false) return { byKey, warnings };
  // Many objects of one type in one namespace: one list without selector instead of a GET each.
  const missing = await listInBulk(
    kube,
    rendered.filter((o) => !byKey.has(refKey(refOf(o)))),
    byKey,
  );
  let getPermissionErrors = 0;
  await mapBounded(missing, 16, async (o) => {
    try {
      const live = await kube.get(refOf(o));
      if (live) byKey.set(refKey(refOf(o)), live);
    } catch (err) {
      // An unknown kind (its CRD not applied yet) simply has no live object.
      if (isNotFound(err)) return;
      if (!isForbidden(err)) throw err;
      getPermissionErrors++;
    }
  });
  if (getPermissionErrors > 0) warnOnce(GET_PERMISSION_WARNING);
  return { byKey, warnings };
}

function groupOf(o: KubeObject): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
}

function resourceRef(r: ResourceInfo): ObjectRef {
  return { group: r.group, version: r.version, kind: r.kind, name: '' };
}

function isNotFound(err: unknown): boolean {
  return (
    err instanceof KubeApiError && (err.code === 'KubeNotFound' || err.status === 404 || err.status === 405)
  );
}

function isForbidden(err: unknown): boolean {
  return err instanceof KubeApiError && (err.status === 403 || err.status === 401);
}

/** Groups of at least this many missing objects (same type and namespace) are listed, not read singly. */
const BULK_LIST_MIN = 8;

/**
 * Lists each resource type per namespace (without label selector, so objects lacking the
 * discriminator are found too) where many rendered objects are still missing; stores what it finds in
 * `byKey` and returns the objects that still need a GET (small groups, failed or unknown types).
 */
async function listInBulk(
  kube: KubeClient,
  missing: readonly KubeObject[],
  byKey: Map<string, KubeObject>,
): Promise<KubeObject[]> {
  const groups = new Map<string, KubeObject[]>();
  for (const o of missing) {
    const k = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), o]);
  }
  const rest: KubeObject[] = [];
  await mapBounded([...groups.values()], 8, async (objs) => {
    const first = objs[0]!;
    const info =
      objs.length >= BULK_LIST_MIN
        ? await kube.resolve(first.apiVersion, first.kind).catch(() => undefined)
        : undefined;
    if (!info) {
      rest.push(...objs);
      return;
    }
    try {
      const wanted = new Set(objs.map((o) => refKey(refOf(o))));
      const ns = info.namespaced ? first.metadata.namespace : undefined;
      for (const o of await kube.list(info, ns ? { namespace: ns } : {})) {
        const key = refKey(refOf(o));
        if (wanted.has(key)) byKey.set(key, o);
      }
    } catch {
      rest.push(...objs);
    }
  });
  return rest;
}
