/**
 * The ports through which lib/ talks to the world (DESIGN.md §3). Adapters in lib/adapters/ implement
 * them; tests and the composition roots (functions/, bin/) choose which.
 */

/** A Kubernetes object as plain data. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

/** The parts of `metadata` this code reads or writes. */
export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  generation?: number;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: unknown[];
  managedFields?: { manager?: string; operation?: string; [key: string]: unknown }[];
  [key: string]: unknown;
}

/** Identifies one object. `group` is "" for the core group. */
export interface ObjectRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** One API resource type as discovery reports it. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  /** Whether the type serves a `status` subresource (so its objects are expected to get a status). */
  readonly hasStatus?: boolean;
}

/** Options of a server-side apply. */
export interface ApplyOptions {
  readonly fieldManager: string;
  readonly force?: boolean;
  readonly dryRun?: boolean;
}

/** The Kubernetes API as the engine needs it. Errors are KubeApiError (lib/errors.ts). */
export interface KubeClient {
  /** Server-side apply of one object; returns the object as the server stored (or would store) it. */
  apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject>;
  /** Reads one object; undefined when it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Lists objects of one resource type, optionally in one namespace and by label selector. */
  list(resource: ResourceInfo, opts?: { namespace?: string; labelSelector?: string }): Promise<KubeObject[]>;
  /** Replaces one object (PUT); a `metadata.resourceVersion` in `obj` makes the write conditional. */
  update(obj: KubeObject, opts: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject>;
  /** Deletes one object (propagation Background); resolves quietly when it is already gone. */
  delete(ref: ObjectRef, opts?: { dryRun?: boolean }): Promise<void>;
  /** JSON merge patch of an object or its status subresource. */
  mergePatch(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager: string; subresource?: 'status'; resourceVersion?: string },
  ): Promise<KubeObject>;
  /** The resource type serving `apiVersion`/`kind`, or undefined if the API does not know it. */
  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /** Every resource type (preferred versions), for orphan search. */
  listResources(): Promise<readonly ResourceInfo[]>;
  /** Forgets cached discovery (after CRDs were applied). */
  invalidateDiscovery(): void;
  /** The UID of the kube-system namespace: Kluctl's cluster id. */
  clusterId(): Promise<string>;
  /** The server's `gitVersion`, e.g. `v1.34.4` (Helm's Capabilities.KubeVersion). */
  serverVersion(): Promise<string>;
}

/**
 * Where and as whom a reconcile reaches its target cluster (kluctl-semantics §9.5): the cluster of a
 * kubeconfig from `spec.kubeConfig`'s Secret, else the runner's own; as the impersonated user, else the
 * credentials of that kubeconfig (or the runner's).
 */
export interface ClusterAccess {
  /** Kubeconfig YAML whose current context is used; absent: the runner's own cluster and credentials. */
  readonly kubeconfigYaml?: string;
  /** Names the kubeconfig in errors (e.g. `KubeConfig secret 'ns/name'`); never its content. */
  readonly kubeconfigSource?: string;
  /** Sent as `Impersonate-User`, e.g. `system:serviceaccount:<ns>:<name>`. */
  readonly impersonateUser?: string;
}

/** A client for one reconcile's target cluster; `close` frees what {@link KubeClientFactory} opened. */
export interface ClusterClient extends KubeClient {
  close(): void;
}

/** Builds clients for the target clusters and identities KluctlDeployments name. */
export interface KubeClientFactory {
  /**
   * A client for `access`. Throws KsError `InvalidInput` for a kubeconfig that cannot be used (unparsable,
   * no current context, or credentials this runner refuses to use), naming the source and the fix.
   */
  connect(access: ClusterAccess): Promise<ClusterClient>;
}

/** A blob in the state store with its entity tag. */
export interface StoredBlob {
  readonly body: Uint8Array;
  readonly etag: string;
}

/** Preconditions of a state write; at most one is set. */
export interface WriteCondition {
  /** Write only if the current ETag equals this. */
  readonly ifMatch?: string;
  /** Write only if no object exists under the key. */
  readonly ifNoneMatch?: '*';
}

/**
 * Object storage for reconcile state, results and caches (DESIGN.md §4). Conditional writes fail with
 * StateConflictError. The bucket layout is owned by lib/state/layout.ts.
 */
export interface StateStore {
  get(key: string): Promise<StoredBlob | undefined>;
  put(key: string, body: Uint8Array, cond?: WriteCondition & { contentType?: string }): Promise<string>;
  delete(key: string): Promise<void>;
  list(prefix: string): Promise<readonly string[]>;
}

/** A Git ref as in Kluctl's specs: exactly one of branch, tag or commit; none = default branch. */
export interface GitRef {
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
}

/** Credentials for one Git request, already matched by host and path. */
export interface GitAuth {
  readonly username?: string;
  readonly password?: string;
}

/** Git access: resolving refs and checking out trees. */
export interface GitSource {
  /** The commit a ref points to on the remote, without fetching objects. */
  resolveRef(url: string, ref: GitRef, auth?: GitAuth): Promise<string>;
  /** Checks out `ref` of `url` into the empty directory `dir`; returns the commit. */
  checkout(url: string, ref: GitRef, dir: string, auth?: GitAuth): Promise<GitCheckout>;
}

/** What a checkout got. */
export interface GitCheckout {
  readonly commit: string;
  /** The ref checked out; for the default branch, its name (Kluctl reports it in `gitInfo.ref`). */
  readonly ref?: GitRef;
}

/** Packs a directory tree into one archive and back (the clone cache's snapshots). */
export interface TreeArchiver {
  /** A gzip'd archive of `dir`'s regular files, directories and symlinks, without `dir/.git`. */
  pack(dir: string): Promise<Uint8Array>;
  /** Unpacks into the existing empty `dir`; refuses entries that would land outside it. */
  unpack(archive: Uint8Array, dir: string): Promise<void>;
}

/** Injected time, so plans are pure and tests use a fake clock. */
export interface Clock {
  now(): Date;
}

/** Structured logging for operators. Fields must never hold secrets. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** User-facing progress lines on the CLI (the functions discard them). */
export interface Progress {
  step(msg: string): void;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A logger that drops everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** Progress that drops everything. */
export const silentProgress: Progress = { step() {} };
