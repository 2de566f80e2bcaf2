/**
 * API discovery with a cache: which resource serves a kind, whether it is namespaced, and every
 * preferred resource type for orphan search. Group-versions are fetched lazily and only once.
 */
import type { ResourceInfo } from '../ports.js';

type GetJson = (path: string) => Promise<unknown | undefined>;

interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface ApiGroupList {
  groups?: { name: string; preferredVersion?: { version: string }; versions?: { version: string }[] }[];
}

/** Discovery results, cached until {@link DiscoveryCache.invalidate}. */
export class DiscoveryCache {
  private readonly byGroupVersion = new Map<string, Promise<readonly ResourceInfo[]>>();
  private preferred: Promise<readonly ResourceInfo[]> | undefined;

  constructor(private readonly getJson: GetJson) {}

  /** Forgets everything (after CRDs were created or changed). */
  invalidate(): void {
    this.byGroupVersion.clear();
    this.preferred = undefined;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined. Refreshes once on a miss. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const found = (await this.groupVersion(apiVersion)).find((r) => r.kind === kind);
    if (found) return found;
    // A CRD applied moments ago may be missing from a cached list: refetch this group-version once.
    this.byGroupVersion.delete(apiVersion);
    return (await this.groupVersion(apiVersion)).find((r) => r.kind === kind);
  }

  /** Every top-level resource of each group's preferred version. */
  preferredResources(): Promise<readonly ResourceInfo[]> {
    this.preferred ??= this.loadPreferred();
    return this.preferred;
  }

  private groupVersion(apiVersion: string): Promise<readonly ResourceInfo[]> {
    let p = this.byGroupVersion.get(apiVersion);
    if (!p) {
      p = this.loadGroupVersion(apiVersion);
      this.byGroupVersion.set(apiVersion, p);
      p.catch(() => this.byGroupVersion.delete(apiVersion));
    }
    return p;
  }

  private async loadGroupVersion(apiVersion: string): Promise<readonly ResourceInfo[]> {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const list = (await this.getJson(path)) as ApiResourceList | undefined;
    // A `<plural>/status` subresource tells readiness that objects of the type get a status.
    const names = new Set((list?.resources ?? []).map((r) => r.name));
    return (list?.resources ?? [])
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({
        group,
        version,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced,
        verbs: r.verbs ?? [],
        hasStatus: names.has(`${r.name}/status`),
      }));
  }

  private async loadPreferred(): Promise<readonly ResourceInfo[]> {
    const groups = (await this.getJson('/apis')) as ApiGroupList | undefined;
    const gvs = ['v1'];
    for (const g of groups?.groups ?? []) {
      const v = g.preferredVersion?.version ?? g.versions?.[0]?.version;
      if (v) gvs.push(`${g.name}/${v}`);
    }
    const lists = await Promise.all(gvs.map((gv) => this.groupVersion(gv)));
    return lists.flat();
  }
}
