/**
 * KubeClient over the Kubernetes REST API: objects and collections map to their REST paths through
 * cached discovery, with explicit content types (apply-patch, merge-patch), dry runs and
 * subresources. The HTTP side (connection, limits, retries, error translation) is KubeTransport.
 */
import type http from 'node:http';
import { KubeApiError } from '../errors.js';
import type {
  ApplyOptions,
  KubeClient,
  KubeObject,
  ListOptions,
  ObjectRef,
  ResourceInfo,
  ServiceAccountTokens,
} from '../ports.js';
import { DiscoveryCache } from './kube-discovery.js';
import { KubeTransport, openKubeConnection } from './kube-http-transport.js';
import type { KubeConnection, KubeconfigSource, RequestStats } from './kube-http-transport.js';

/** The KubeClient used by the CLI, the runner and the functions. */
export class HttpKubeClient implements KubeClient, ServiceAccountTokens {
  private readonly transport: KubeTransport;
  /** Discovery documents are the same for every authenticated identity, so identities share them. */
  private readonly discovery: DiscoveryCache;
  private clusterIdCache: string | undefined;
  private serverVersionCache: Promise<string> | undefined;

  private constructor(
    private readonly conn: KubeConnection,
    private readonly ownsConnection: boolean,
    impersonateUser: string | undefined,
    discovery?: DiscoveryCache,
  ) {
    this.transport = new KubeTransport(conn, impersonateUser);
    this.discovery = discovery ?? new DiscoveryCache((path) => this.getJson(path));
  }

  /** Builds a client from a kubeconfig; throws KubeApiError when the context does not exist. */
  static async fromKubeconfig(src: KubeconfigSource = {}): Promise<HttpKubeClient> {
    return new HttpKubeClient(await openKubeConnection(src), true, src.impersonateUser);
  }

  /** Counters of this client's API requests by verb, for benchmarks and tests. */
  get stats(): RequestStats {
    return this.transport.stats;
  }

  /**
   * A client over this client's connection, rate limits and discovery that acts as `impersonateUser`
   * (Kluctl's controller copies its REST config and sets `Impersonate.UserName` the same way; the API
   * server adds a service account's groups itself), or, without it, as this client's kubeconfig user.
   * {@link close} of the new client leaves the shared connection open.
   */
  withIdentity(impersonateUser?: string): HttpKubeClient {
    return new HttpKubeClient(this.conn, false, impersonateUser, this.discovery);
  }

  /** Closes idle connections so the process can exit (a no-op for a {@link withIdentity} client). */
  close(): void {
    if (this.ownsConnection) this.conn.agent.destroy();
  }

  async apply(obj: KubeObject, opts: ApplyOptions): Promise<KubeObject> {
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.force) q.set('force', 'true');
    if (opts.dryRun) q.set('dryRun', 'All');
    q.set('fieldValidation', 'Strict');
    const path = await this.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    return this.write('PATCH', `${path}?${q}`, obj, 'application/apply-patch+yaml', describeObject(obj));
  }

  async create(obj: KubeObject, opts: { fieldManager: string }): Promise<KubeObject> {
    const info = await this.discovery.resolve(obj.apiVersion, obj.kind);
    if (!info) {
      throw new KubeApiError(
        'KubeNotFound',
        `no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`,
        {
          status: 404,
        },
      );
    }
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    const path = collectionPath(info, obj.metadata.namespace);
    return this.write('POST', `${path}?${q}`, obj, 'application/json', describeObject(obj));
  }

  async update(obj: KubeObject, opts: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject> {
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    if (opts.dryRun) q.set('dryRun', 'All');
    const path = await this.objectPath(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    return this.write('PUT', `${path}?${q}`, obj, 'application/json', describeObject(obj));
  }

  /** A token of a service account (the `token` subresource, a TokenRequest); it is never logged. */
  async createServiceAccountToken(
    namespace: string,
    name: string,
    opts: { readonly audiences: readonly string[]; readonly expirationSeconds: number },
  ): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`;
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace },
      spec: { audiences: opts.audiences, expirationSeconds: opts.expirationSeconds },
    };
    const what = `token of ServiceAccount ${namespace}/${name}`;
    const res = (await this.transport.call('POST', path, body, 'application/json', what)) as {
      status?: { token?: string };
    };
    if (!res.status?.token) throw new KubeApiError('KubeApi', `the API server returned no ${what}`);
    return res.status.token;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const res = await this.transport.raw('GET', await this.refPath(ref));
    if (res.status === 404) return undefined;
    return this.transport.check(res, 'GET', describeRef(ref)) as KubeObject;
  }

  async list(resource: ResourceInfo, opts: ListOptions = {}): Promise<KubeObject[]> {
    const base = collectionPath(resource, resource.namespaced ? opts.namespace : undefined);
    const items: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
      if (cont) q.set('continue', cont);
      const path = `${base}?${q}`;
      const res = await this.transport.raw('GET', path, undefined, undefined, listAccept(opts));
      const body = this.transport.check(res, 'GET', resource.plural) as {
        items?: KubeObject[];
        metadata?: { continue?: string };
      };
      const apiVersion = groupVersion(resource);
      // List items come without apiVersion/kind; fill them in so refs can be computed.
      for (const it of body.items ?? []) items.push({ ...it, apiVersion, kind: resource.kind });
      cont = body.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  async delete(ref: ObjectRef, opts: { dryRun?: boolean } = {}): Promise<void> {
    // With a body the API server reads the options from it alone (a `?dryRun=All` would be ignored
    // and the object deleted for real), so the dry run goes into the body.
    const res = await this.transport.raw('DELETE', await this.refPath(ref), {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    });
    if (res.status === 404) return;
    this.transport.check(res, 'DELETE', describeRef(ref));
  }

  async mergePatch(
    ref: ObjectRef,
    patch: unknown,
    opts: { fieldManager: string; subresource?: 'status'; resourceVersion?: string },
  ): Promise<KubeObject> {
    let path = await this.refPath(ref);
    if (opts.subresource) path += `/${opts.subresource}`;
    const body =
      opts.resourceVersion === undefined
        ? patch
        : {
            ...(patch as object),
            metadata: {
              ...((patch as { metadata?: object }).metadata ?? {}),
              resourceVersion: opts.resourceVersion,
            },
          };
    const q = new URLSearchParams({ fieldManager: opts.fieldManager });
    return this.write('PATCH', `${path}?${q}`, body, 'application/merge-patch+json', describeRef(ref));
  }

  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resolve(apiVersion, kind);
  }

  listResources(): Promise<readonly ResourceInfo[]> {
    return this.discovery.preferredResources();
  }

  invalidateDiscovery(): void {
    this.discovery.invalidate();
  }

  async clusterId(): Promise<string> {
    this.clusterIdCache ??= await this.readClusterId();
    return this.clusterIdCache;
  }

  /**
   * The kube-system namespace's UID. Like Kluctl, a user who may not GET that namespace but may list
   * namespaces still gets the id; one who may do neither gets the API's error.
   */
  private async readClusterId(): Promise<string> {
    const res = await this.transport.raw('GET', '/api/v1/namespaces/kube-system');
    if (res.status !== 403)
      return (this.transport.check(res, 'GET', 'Namespace kube-system') as KubeObject).metadata.uid ?? '';
    const list = (await this.getOk('/api/v1/namespaces', 'namespaces')) as { items?: KubeObject[] };
    const uid = list.items?.find((n) => n.metadata.name === 'kube-system')?.metadata.uid;
    if (!uid) throw new KubeApiError('KubeApi', 'kube-system namespace has no uid');
    return uid;
  }

  async serverVersion(): Promise<string> {
    this.serverVersionCache ??= (async () => {
      const v = (await this.getOk('/version', 'server version')) as { gitVersion?: string };
      return v.gitVersion ?? '';
    })();
    return this.serverVersionCache;
  }

  /** GETs an API path (with limits, retries and error mapping) and returns the parsed JSON body. */
  getPath(path: string, what: string): Promise<unknown> {
    return this.getOk(path, what);
  }

  /**
   * Opens a long-lived GET (a watch) with this client's server, credentials and identity; see
   * {@link KubeTransport.openStream}.
   */
  openStream(path: string, signal: AbortSignal): Promise<http.IncomingMessage> {
    return this.transport.openStream(path, signal);
  }

  /** The REST path of an object, its kind resolved through discovery. */
  private async objectPath(
    apiVersion: string,
    kind: string,
    name: string,
    namespace: string | undefined,
  ): Promise<string> {
    const info = await this.discovery.resolve(apiVersion, kind);
    if (!info) {
      throw new KubeApiError('KubeNotFound', `no matches for kind "${kind}" in version "${apiVersion}"`, {
        status: 404,
      });
    }
    if (info.namespaced && !namespace) {
      throw new KubeApiError('KubeApi', `${info.kind} ${name} is namespaced but has no namespace`);
    }
    return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
  }

  private refPath(ref: ObjectRef): Promise<string> {
    return this.objectPath(groupVersion(ref), ref.kind, ref.name, ref.namespace);
  }

  /** Sends an object (or patch) and returns the object as the server answered it. */
  private async write(
    method: 'PATCH' | 'PUT' | 'POST',
    pathAndQuery: string,
    body: unknown,
    contentType: string,
    what: string,
  ): Promise<KubeObject> {
    return (await this.transport.call(method, pathAndQuery, body, contentType, what)) as KubeObject;
  }

  private getOk(path: string, what: string): Promise<unknown> {
    return this.transport.call('GET', path, undefined, undefined, what);
  }

  private async getJson(path: string): Promise<unknown | undefined> {
    const res = await this.transport.raw('GET', path);
    if (res.status === 404) return undefined;
    return this.transport.check(res, 'GET', path);
  }
}

/** `<group>/<version>`, or `<version>` for the core group. */
function groupVersion(gv: { readonly group: string; readonly version: string }): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

/** `<Kind> [<namespace>/]<name>`, how messages name an object. */
function describeNamed(kind: string, name: string, namespace: string | undefined): string {
  return `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

function describeRef(ref: ObjectRef): string {
  return describeNamed(ref.kind, ref.name, ref.namespace);
}

function describeObject(obj: KubeObject): string {
  return describeNamed(obj.kind, obj.metadata.name, obj.metadata.namespace);
}

function groupVersionPath(info: ResourceInfo): string {
  return info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
}

/** The path of a resource collection, in `namespace` when given and the resource is namespaced. */
export function collectionPath(info: ResourceInfo, namespace: string | undefined): string {
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(info)}${ns}/${info.plural}`;
}

/**
 * The media types a list asks for: with `metadataOnly`, the API server's PartialObjectMetadataList
 * (each item its metadata alone; plain JSON stays acceptable to a server that cannot send it).
 */
function listAccept(opts: ListOptions): string {
  return opts.metadataOnly
    ? 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'
    : 'application/json';
}
