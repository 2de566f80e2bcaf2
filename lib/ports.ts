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

/** What {@link KubeClient.list} lists. */
export interface ListOptions {
  /** Only this namespace (of a namespaced type); default all. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /**
   * The caller reads only `metadata`: a client may return items with nothing else (the API server's
   * PartialObjectMetadata), which spares sending and copying large data (result Secrets).
   */
  readonly metadataOnly?: boolean;
}

/** The Kubernetes API as the engine needs it. Errors are KubeApiError (lib/errors.ts). */
export interface KubeClient {
  /** Server-side apply of one object; returns the object as the server stored (or would store) it. */
  apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject>;
  /**
   * Reads one object; undefined when it does not exist. A client that keeps watched copies may answer
   * from one that is at `minResourceVersion` or newer; without it, from any copy it trusts.
   */
  get(ref: ObjectRef, opts?: { readonly minResourceVersion?: string }): Promise<KubeObject | undefined>;
  /** Lists objects of one resource type, optionally in one namespace and by label selector. */
  list(resource: ResourceInfo, opts?: ListOptions): Promise<KubeObject[]>;
  /** Creates one object (POST); fails with a 409 KubeApiError when it exists. */
  create(obj: KubeObject, opts: { fieldManager: string }): Promise<KubeObject>;
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

/** One change reported by a watch (`ERROR` events become an error or the `expired` end). */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: KubeObject;
}

/** A complete list of objects and the resourceVersion it was read at (where a watch continues). */
export interface VersionedList {
  readonly items: readonly KubeObject[];
  readonly resourceVersion: string;
}

/**
 * How a watch ended without an error: `closed` when the server or the caller ended it (watch again
 * from the last resourceVersion seen), `expired` when that resourceVersion is too old (HTTP 410 Gone:
 * list again).
 */
export type WatchEnd = 'closed' | 'expired';

/** Options of {@link KubeWatcher.watch}. */
export interface WatchOptions {
  /** Only this namespace; default: all namespaces. */
  readonly namespace?: string;
  /** Only objects matching this label selector (objects that stop matching arrive as `DELETED`). */
  readonly labelSelector?: string;
  /** Where the watch starts: a list's or the last event's resourceVersion. */
  readonly resourceVersion: string;
  /** Ends the watch (it then resolves `closed`). */
  readonly signal: AbortSignal;
  /** Asks the server to end the watch after this long; default 5 to 10 minutes, random like client-go. */
  readonly timeoutSeconds?: number;
}

/**
 * List-then-watch of one resource type, as informers do it (the shim, and the local runner's watch).
 * Errors are KubeApiError; a watch that may be continued ends with a {@link WatchEnd} instead.
 */
export interface KubeWatcher {
  /** Lists every object (all pages) with the list's resourceVersion. */
  listVersioned(
    resource: ResourceInfo,
    opts?: { namespace?: string; labelSelector?: string },
  ): Promise<VersionedList>;
  /** Streams changes after `opts.resourceVersion` to `onEvent` until the watch ends. */
  watch(resource: ResourceInfo, opts: WatchOptions, onEvent: (e: WatchEvent) => void): Promise<WatchEnd>;
}

/** The ingest endpoint as the shim reaches it (an HTTPS POST in production). */
export interface IngestEndpoint {
  /** POSTs one JSON body with `headers`; resolves with the HTTP status, rejects when nothing answered. */
  post(body: string, headers: Readonly<Record<string, string>>): Promise<number>;
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
  /** Private key (OpenSSH or PEM, unencrypted) for SSH URLs: the Secret's `identity`. */
  readonly sshIdentity?: string;
  /** known_hosts content the SSH server's host key must be listed in: the Secret's `known_hosts`. */
  readonly sshKnownHosts?: string;
  /** PEM CA bundle trusted instead of the system roots for https: the Secret's `caFile`. */
  readonly caBundle?: string;
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

/** Which version of an OCI artifact to pull, as Kluctl's `ref`: a digest wins over a tag; none = `latest`. */
export interface OciRef {
  readonly tag?: string;
  /** `sha256:<hex>`. */
  readonly digest?: string;
}

/**
 * Credentials for one registry request, already matched by registry and repository (Kluctl's
 * `credentials.oci` Secret keys). `token` is sent as the bearer token itself; `identityToken` is
 * exchanged for one at the registry's token service (OAuth2 refresh token).
 */
export interface OciAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
  readonly token?: string;
  /** Talk HTTP instead of HTTPS (local registries always do). */
  readonly plainHttp?: boolean;
  readonly insecureSkipTlsVerify?: boolean;
}

/** What a pull got. */
export interface OciPull {
  /** Manifest digest (`sha256:...`). */
  readonly digest: string;
  /** From the `io.kluctl.image.git_info` annotation `kluctl oci push` writes, when present. */
  readonly commit?: string;
  readonly ref?: GitRef;
}

/** Pulls Kluctl project artifacts (`kluctl oci push` layout). Adapter: lib/adapters/http-oci-source.ts. */
export interface OciSource {
  /**
   * Extracts the first layer of `url` (`oci://host/repo`) at `ref` into the existing empty `dir`.
   * Fails with OciSourceError (lib/errors.ts) carrying the registry's own error text.
   */
  pull(url: string, ref: OciRef, dir: string, auth?: OciAuth): Promise<OciPull>;
}

/** The refs a remote advertises, for `gitFiles` (branch and tag patterns are regexes over them). */
export interface RemoteRefs {
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`) to commit (tags peeled). */
  readonly refs: Readonly<Record<string, string>>;
  /** The ref the remote HEAD points to (`refs/heads/main`), when it advertises one. */
  readonly head?: string;
}

/** Lists a remote's refs, for `gitFiles` vars sources. Adapter: lib/adapters/isomorphic-git-refs.ts. */
export interface GitRefLister {
  listRefs(url: string, auth?: GitAuth): Promise<RemoteRefs>;
}

/** A request for one AWS Secrets Manager secret. */
export interface AwsSecretRequest {
  /** Name or ARN. */
  readonly secretId: string;
  readonly region: string;
  /** AWS credentials profile. */
  readonly profile?: string;
}

/** Reads AWS Secrets Manager, for `awsSecretsManager` vars sources. Adapter: lib/adapters/aws-secrets.ts. */
export interface AwsSecretsReader {
  /** The secret string (a binary secret as UTF-8); undefined when the secret does not exist. */
  getSecretString(req: AwsSecretRequest): Promise<string | undefined>;
}

/** The file formats SOPS knows, chosen from the file extension as `sops` itself does. */
export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

/** Decrypts SOPS documents. Adapters: lib/adapters/sops-cli.ts (the pinned `sops` binary). */
export interface SopsDecryptor {
  /**
   * Decrypts `text` (format `format`) and returns the plain text in the same format, or undefined
   * when the text holds no SOPS metadata. `file` names the file in errors. A missing key fails with
   * SopsError (lib/errors.ts) whose message starts with Kluctl's `cannot get sops data key`.
   */
  decrypt(text: string, format: Exclude<SopsFormat, 'binary'>, file: string): Promise<string | undefined>;
}

/**
 * The keys of `spec.decryption` (a decryption Secret and the service account's AWS role), as the
 * reconciler hands them to a SOPS adapter. Key material: never logged, never put in results or state.
 */
export interface SopsKeys {
  /** age identities (`AGE-SECRET-KEY-1...`), from `*.agekey` entries. */
  readonly ageKeys: readonly string[];
  /** ASCII-armored PGP private keys, from `*.asc` entries (`entry` names it in errors). */
  readonly pgpKeys: readonly { readonly entry: string; readonly armored: string }[];
  /** Static AWS credentials for KMS, from `sops.aws-kms`. */
  readonly awsCredentials?: AwsStaticCredentials;
  /** A web identity for KMS: the role of `decryption.serviceAccount` (IRSA) and a token of that account. */
  readonly awsWebIdentity?: AwsWebIdentity;
}

/** AWS access keys (Kluctl's `sops.aws-kms` fields `aws_access_key_id`, ...). */
export interface AwsStaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** An AWS role assumed with a Kubernetes service account token (AssumeRoleWithWebIdentity). */
export interface AwsWebIdentity {
  readonly roleArn: string;
  readonly token: string;
  readonly sessionName: string;
}

/** A decryptor holding keys of one reconcile; `close` removes them from disk and stops its helpers. */
export interface SopsKeySession extends SopsDecryptor {
  close(): Promise<void>;
}

/** Issues service account tokens (TokenRequest), e.g. for AWS web identities. Adapter: HttpKubeClient. */
export interface ServiceAccountTokens {
  /** A token of service account `namespace/name` for `audiences`, valid `expirationSeconds`. */
  createServiceAccountToken(
    namespace: string,
    name: string,
    opts: { readonly audiences: readonly string[]; readonly expirationSeconds: number },
  ): Promise<string>;
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
