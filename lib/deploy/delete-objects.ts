/**
 * Orphan detection and deletion (kluctl-semantics §5.3, §7.4, §7.5, §7.8): a live object with the
 * discriminator is a delete candidate when kluctl manages it, nothing protects it, the inclusion rules
 * keep it, and (for prune) it is no longer rendered. Candidates come in Kluctl's deletion order;
 * namespaces are deleted first and what lives in them goes with them.
 */
import {
  ANNOTATION_DEPLOYMENT_ITEM_DIR,
  ANNOTATION_FORCE_MANAGED,
  ANNOTATION_HELM_RESOURCE_POLICY,
  ANNOTATION_SKIP_DELETE,
  ANNOTATION_SKIP_DELETE_IF_TAGS,
  FIELD_MANAGER,
  LABEL_TAG_PREFIX,
} from '../api/constants.js';
import { KsError, kubeErrorText } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef } from '../ports.js';
import { checkIncluded } from '../project/inclusion.js';
import type { Inclusion } from '../project/inclusion.js';
import { mapBounded } from '../util/semaphore.js';
import { annotationTrue } from './diff/normalize-for-diff.js';
import { isNamespace, refKey, refOf, refString } from './object-ref.js';

/** Whether kluctl manages a live object: no owner and an apply by `kluctl`, or `force-managed`. */
export function isManagedByKluctl(obj: KubeObject): boolean {
  if (annotationTrue(obj.metadata.annotations?.[ANNOTATION_FORCE_MANAGED])) return true;
  if ((obj.metadata.ownerReferences?.length ?? 0) > 0) return false;
  return (obj.metadata.managedFields ?? []).some((m) => m.manager === FIELD_MANAGER);
}

/** Whether an annotation protects the object from deletion (`skip-delete`, Helm's `keep`). */
export function isDeleteProtected(obj: KubeObject): boolean {
  const a = obj.metadata.annotations ?? {};
  return annotationTrue(a[ANNOTATION_SKIP_DELETE]) || a[ANNOTATION_HELM_RESOURCE_POLICY] === 'keep';
}

/** Kluctl's deletion order: kinds or API groups per stage; everything else comes last. */
const DELETE_ORDER: readonly (readonly string[])[] = [
  ['Namespace'],
  [
    'monitoring.coreos.com',
    'kafka.strimzi.io',
    'zookeeper.pravega.io',
    'elasticsearch.k8s.elastic.co',
    'cert-manager.io',
    'bitnami.com',
    'acid.zalan.do',
  ],
  ['Deployment', 'StatefulSet', 'DaemonSet', 'Service', 'Ingress'],
];

function deleteStage(ref: ObjectRef): number {
  const i = DELETE_ORDER.findIndex((s) => s.includes(ref.kind) || s.includes(ref.group));
  return i < 0 ? DELETE_ORDER.length : i;
}

/** Options of {@link findObjectsForDelete}. */
export interface DeleteCandidateOptions {
  /** Rendered objects: never candidates (prune). Omit for delete. */
  readonly exclude?: readonly KubeObject[];
  /** Inclusion rules of the command, matched against the live object's tag labels and item dir. */
  readonly inclusion?: Inclusion;
}

/** The inclusion entries of a live object: its `kluctl.io/tag-<n>` labels and item dir annotation. */
function inclusionEntries(o: KubeObject): { tags: string[]; dir?: string } {
  const tags = Object.entries(o.metadata.labels ?? {})
    .filter(([k]) => k.startsWith(LABEL_TAG_PREFIX) && /^\d+$/.test(k.slice(LABEL_TAG_PREFIX.length)))
    .map(([, v]) => v);
  const dir = o.metadata.annotations?.[ANNOTATION_DEPLOYMENT_ITEM_DIR];
  return dir !== undefined ? { tags, dir } : { tags };
}

/** The live objects to delete, in Kluctl's deletion order. */
export function findObjectsForDelete(
  remote: Iterable<KubeObject>,
  opts: DeleteCandidateOptions = {},
): KubeObject[] {
  const excluded = new Set((opts.exclude ?? []).map((o) => refKey(refOf(o))));
  const inc = opts.inclusion;
  const hasTagRules = (inc?.includeTags?.length ?? 0) + (inc?.excludeTags?.length ?? 0) > 0;
  const candidates = [...remote].filter(
    (o) =>
      checkIncluded(inc, inclusionEntries(o)) &&
      !isDeleteProtected(o) &&
      isManagedByKluctl(o) &&
      !excluded.has(refKey(refOf(o))) &&
      !(hasTagRules && annotationTrue(o.metadata.annotations?.[ANNOTATION_SKIP_DELETE_IF_TAGS])),
  );
  // A stable sort keeps the discovery order inside a stage.
  return candidates
    .map((o, i) => ({ o, i, s: deleteStage(refOf(o)) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.o);
}

/** The live objects that are orphans with respect to the rendered objects. */
export function findOrphans(
  remote: Iterable<KubeObject>,
  rendered: readonly KubeObject[],
  inclusion?: Inclusion,
): KubeObject[] {
  return findObjectsForDelete(remote, { exclude: rendered, ...(inclusion ? { inclusion } : {}) });
}

/** Outcome of deleting objects: the deleted refs and per-object errors. */
export interface DeleteOutcome {
  readonly deleted: ObjectRef[];
  readonly errors: { ref: ObjectRef; message: string }[];
  /** Objects not deleted one by one because their namespace was deleted. */
  readonly skipped?: ObjectRef[];
}

/** Options of {@link deleteObjects}. */
export interface DeleteOptions {
  /** Wait until each object is gone (Kluctl does, unless `--no-wait`). Default false. */
  readonly wait?: boolean;
  /**
   * Server-side dry run: every delete is sent with `dryRun=All`, so nothing goes, and what the API
   * server accepted counts as deleted, as with Kluctl's dry-run cluster client. Never waits.
   */
  readonly dryRun?: boolean;
  /** Give up waiting for one object after this long; default 10 minutes. */
  readonly timeoutMs?: number;
  /** Injected for tests; default setTimeout. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Deletes objects (propagation Background, 404 ignored) in the given order: namespaces first, in
 * parallel (at most 8); objects inside a deleted namespace are skipped; then the rest. A dry run
 * skips the same objects, as if the namespaces had gone.
 */
export async function deleteObjects(
  kube: KubeClient,
  objects: readonly KubeObject[],
  opts: DeleteOptions = {},
): Promise<DeleteOutcome> {
  const out = {
    deleted: [] as ObjectRef[],
    errors: [] as DeleteOutcome['errors'],
    skipped: [] as ObjectRef[],
  };
  const namespaces = objects.filter(isNamespace);
  const doomed = new Set(namespaces.map((n) => n.metadata.name));
  const rest = objects.filter((o) => {
    if (isNamespace(o)) return false;
    if (o.metadata.namespace && doomed.has(o.metadata.namespace)) {
      out.skipped.push(refOf(o));
      return false;
    }
    return true;
  });
  const run = async (o: KubeObject): Promise<void> => {
    const ref = refOf(o);
    try {
      await kube.delete(ref, opts.dryRun ? { dryRun: true } : undefined);
      if (opts.wait && !opts.dryRun) await waitGone(kube, ref, opts);
      out.deleted.push(ref);
    } catch (err) {
      out.errors.push({ ref, message: kubeErrorText(err) });
    }
  };
  await mapBounded(namespaces, 8, run);
  await mapBounded(rest, 8, run);
  return out;
}

async function waitGone(kube: KubeClient, ref: ObjectRef, opts: DeleteOptions): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  while (await kube.get(ref)) {
    if (Date.now() > deadline)
      throw new KsError('Timeout', `timed out while waiting for deletion of ${refString(ref)}`);
    await sleep(500);
  }
}
