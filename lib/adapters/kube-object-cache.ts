/**
 * A watch-backed copy of the objects a long-lived reconciler lists again and again (ADR 0014): per
 * resource type, everything carrying one of the cache's label keys (Kluctl's discriminator label; the
 * `kluctl.io/result` label of result Secrets), kept current by one list-then-watch each
 * (object-reflector.ts), started on the first list that asks for it. A list by label selector that
 * implies such a key is answered from the copy; anything else, and every type that cannot be watched
 * (no `watch` verb, or refused for this identity), goes to the API server as before.
 *
 * One cache serves one cluster and ONE identity: objects read with one identity are never shown to a
 * reconcile running as another (cached-kube-client.ts keeps one cache per identity). Kluctl's
 * controller keeps such a cache for its result Secrets; its orphan search lists the API server.
 */
import type { KubeObject, KubeWatcher, ListOptions, Logger, ObjectRef, ResourceInfo } from '../ports.js';
import { impliesLabel, matchesLabels, parseLabelSelector } from '../util/label-selector.js';
import type { LabelRequirement } from '../util/label-selector.js';
import { cloneJson } from '../util/dict.js';
import { isOlder, ObjectReflector } from './object-reflector.js';
import type { ReflectorOptions } from './object-reflector.js';

/**
 * Which reads a cache answers: lists of objects with `labelKey` (every object of the kinds without
 * one, which also answers reads of single objects), optionally only in one namespace or kind.
 */
export interface CacheScope {
  /** Default: every object (then `kinds` should name the few types to keep). */
  readonly labelKey?: string;
  /** Only this namespace (of namespaced types); default all. */
  readonly namespace?: string;
  /** Only these `<group>/<kind>`s (core: `/Secret`); default every type. */
  readonly kinds?: readonly string[];
}

/** The CustomResourceDefinition type, watched to notice new and removed resource types. */
const CRDS: ResourceInfo = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
  verbs: ['list', 'watch'],
};

/** Options of {@link KubeObjectCache}. */
export interface KubeObjectCacheOptions {
  /** Lists and watches as the cache's identity. */
  readonly watcher: KubeWatcher;
  readonly scopes: readonly CacheScope[];
  readonly logger: Logger;
  /**
   * Called when a CustomResourceDefinition was created, changed or deleted (the client forgets its
   * discovery); default: CRDs are not watched.
   */
  readonly onResourceTypesChanged?: () => void;
  /** Passed to every reflector (tests shorten the watch and retry times). */
  readonly reflector?: Pick<ReflectorOptions, 'watchTimeoutSeconds' | 'refusedRetryMs' | 'now'>;
}

/** Lists served from watches, for one cluster and identity. */
export class KubeObjectCache {
  private readonly reflectors = new Map<string, ObjectReflector>();
  private readonly scopeOfReflector = new Map<ObjectReflector, CacheScope>();
  private crdWatch: ObjectReflector | undefined;
  /** When the cache was last asked (the owner stops idle caches). */
  lastUsed = Date.now();

  constructor(private readonly opts: KubeObjectCacheOptions) {
    if (opts.onResourceTypesChanged) {
      this.crdWatch = new ObjectReflector(
        opts.watcher,
        { resource: CRDS },
        { ...opts.reflector, logger: opts.logger, store: false, onChange: opts.onResourceTypesChanged },
      );
      this.crdWatch.start();
    }
  }

  /**
   * The objects `list(resource, opts)` would return, from the copy; undefined when the copy cannot
   * answer (the caller lists the API server). The first call for a type starts its watch and waits for
   * the first list, which stands in for the caller's own.
   */
  async list(resource: ResourceInfo, opts: ListOptions): Promise<KubeObject[] | undefined> {
    this.lastUsed = Date.now();
    const found = this.scopeOf(resource, opts);
    if (!found) return undefined;
    const { scope, reqs, namespace } = found;
    const reflector = this.reflectorFor(resource, scope);
    if (!(await reflector.ready())) return undefined;
    // A selector naming the scope's label value (Kluctl's `discriminator=X`) reads only its index entry.
    const indexed = reqs.find((r) => r.key === scope.labelKey && r.op === 'equals');
    const objects = reflector.snapshot(indexed?.op === 'equals' ? indexed.value : undefined);
    if (!objects) return undefined;
    return objects
      .filter(
        (o) => (!namespace || o.metadata.namespace === namespace) && matchesLabels(reqs, o.metadata.labels),
      )
      .map((o) =>
        // Copies, as the API server's answer would be: the caller may change them. Of metadata only
        // when that is all the caller reads (result Secrets carry tens of kB of data).
        opts.metadataOnly
          ? { apiVersion: o.apiVersion, kind: o.kind, metadata: cloneJson(o.metadata) }
          : cloneJson(o),
      );
  }

  /**
   * The caller listed the API server itself after {@link list} could not answer, and it worked: a
   * reflector that was refused may now be allowed.
   */
  listed(resource: ResourceInfo, opts: { namespace?: string; labelSelector?: string }): void {
    const found = this.scopeOf(resource, opts);
    // A list in one namespace proves nothing about a cluster-wide watch.
    if (!found || (found.namespace && !found.scope.namespace)) return;
    this.reflectors.get(this.keyOf(resource, found.scope))?.wake();
  }

  /**
   * One object from a scope without label key, when the copy holds it at `minResourceVersion` or
   * later; undefined otherwise (the caller reads the API server: the object may be new or changed).
   */
  async get(
    resource: ResourceInfo,
    ref: ObjectRef,
    minResourceVersion: string | undefined,
  ): Promise<KubeObject | undefined> {
    this.lastUsed = Date.now();
    const scope = this.opts.scopes.find((s) => this.holdsAll(s, resource, ref.namespace));
    if (!scope || !resource.verbs.includes('watch')) return undefined;
    const reflector = this.reflectorFor(resource, scope);
    if (!(await reflector.ready())) return undefined;
    const obj = reflector.find(ref.namespace, ref.name);
    if (!obj || isOlder(obj.metadata.resourceVersion, minResourceVersion)) return undefined;
    return cloneJson(obj);
  }

  /** Whether {@link get} may answer for this kind (a cheap test before resolving the kind). */
  serves(group: string, kind: string): boolean {
    return this.opts.scopes.some((s) => !s.labelKey && s.kinds?.includes(`${group}/${kind}`));
  }

  /** An object as a write of this identity left it (not a dry run): the copies show it at once. */
  observe(obj: KubeObject): void {
    const [group, version] = splitApiVersion(obj.apiVersion);
    for (const [scope, r] of this.matching(group, obj.kind)) {
      if (r.scope.namespace && r.scope.namespace !== obj.metadata.namespace) continue;
      const inScope = !scope.labelKey || obj.metadata.labels?.[scope.labelKey] !== undefined;
      if (r.scope.resource.version !== version) r.invalidate(obj, inScope);
      else r.observe(cloneJson(obj), inScope);
    }
  }

  /** This identity deleted the object. */
  forget(ref: ObjectRef): void {
    for (const [, r] of this.matching(ref.group, ref.kind)) r.forget(ref.namespace, ref.name);
  }

  /** Ends every watch. */
  stop(): void {
    for (const r of this.reflectors.values()) r.stop();
    this.reflectors.clear();
    this.crdWatch?.stop();
  }

  /** The scope that holds every object `list(resource, opts)` can return, if any. */
  private scopeOf(
    resource: ResourceInfo,
    opts: { namespace?: string; labelSelector?: string },
  ): { scope: CacheScope; reqs: LabelRequirement[]; namespace: string | undefined } | undefined {
    if (!resource.verbs.includes('watch')) return undefined;
    const reqs = parseLabelSelector(opts.labelSelector ?? '');
    if (!reqs) return undefined;
    const namespace = resource.namespaced ? opts.namespace : undefined;
    const scope = this.opts.scopes.find(
      (s) =>
        (s.labelKey ? impliesLabel(reqs, s.labelKey) : this.holdsAll(s, resource, namespace)) &&
        (!s.namespace || !resource.namespaced || s.namespace === namespace) &&
        (!s.kinds || s.kinds.includes(`${resource.group}/${resource.kind}`)),
    );
    return scope ? { scope, reqs, namespace } : undefined;
  }

  /** Whether `scope` holds every object of the type in `namespace` (all namespaces: undefined). */
  private holdsAll(scope: CacheScope, resource: ResourceInfo, namespace: string | undefined): boolean {
    if (scope.labelKey || !scope.kinds?.includes(`${resource.group}/${resource.kind}`)) return false;
    return !scope.namespace || !resource.namespaced || scope.namespace === namespace;
  }

  private keyOf(resource: ResourceInfo, scope: CacheScope): string {
    const i = this.opts.scopes.indexOf(scope);
    return `${resource.group}/${resource.kind}/${resource.version}#${i}`;
  }

  private reflectorFor(resource: ResourceInfo, scope: CacheScope): ObjectReflector {
    const key = this.keyOf(resource, scope);
    let r = this.reflectors.get(key);
    if (!r) {
      r = new ObjectReflector(
        this.opts.watcher,
        {
          resource,
          ...(scope.namespace && resource.namespaced ? { namespace: scope.namespace } : {}),
          ...(scope.labelKey ? { labelSelector: scope.labelKey } : {}),
        },
        {
          ...this.opts.reflector,
          logger: this.opts.logger,
          ...(scope.labelKey ? { indexLabel: scope.labelKey } : {}),
        },
      );
      this.reflectors.set(key, r);
      this.scopeOfReflector.set(r, scope);
      r.start();
    }
    return r;
  }

  /** The reflectors of a type (any version), with their scope. */
  private *matching(group: string, kind: string): Generator<[CacheScope, ObjectReflector]> {
    for (const r of this.reflectors.values()) {
      const res = r.scope.resource;
      if (res.group !== group || res.kind !== kind) continue;
      const scope = this.scopeOfReflector.get(r);
      if (scope) yield [scope, r];
    }
  }
}

function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.indexOf('/');
  return i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}
