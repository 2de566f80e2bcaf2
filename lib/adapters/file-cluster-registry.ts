/**
 * The cluster registry of the local runner: one YAML file listing the clusters, with each cluster's
 * kubeconfig and shim key in files of their own (paths relative to the YAML file), e.g.
 *
 *   clusters:
 *     - id: 6f1c2a4e-...            # the UID of the cluster's kube-system namespace
 *       displayName: dev
 *       kubeconfigFile: dev.kubeconfig
 *       shimKeyFile: dev.shim-key   # the key in base64, e.g. from `openssl rand -base64 32`
 *
 * The list is read once; the secret files are read on every lookup, so a rotated key takes effect at
 * once. Errors name the file and the field, never a secret's content.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { KsError } from '../errors.js';
import { decodeYaml, S } from '../util/strict-yaml.js';
import type { ClusterRegistration, ClusterRegistry } from '../serverless/protocol.js';
import { decodeShimKey } from './secrets-cluster-registry.js';

interface FileCluster extends ClusterRegistration {
  readonly kubeconfigFile: string;
  readonly shimKeyFile: string;
}

const SPEC = S.object({
  clusters: S.list(
    S.object({ id: S.string, displayName: S.string, kubeconfigFile: S.string, shimKeyFile: S.string }),
  ),
});
const CLUSTER_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Clusters listed in a YAML file. */
export class FileClusterRegistry implements ClusterRegistry {
  private constructor(
    private readonly file: string,
    private readonly clusters: ReadonlyMap<string, FileCluster>,
  ) {}

  /** Reads and checks the cluster list at `file`. */
  static async load(file: string): Promise<FileClusterRegistry> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new KsError('InvalidInput', `cannot read the cluster list ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const doc = decodeYaml<{ clusters?: (Partial<FileCluster> | null)[] }>(text, SPEC, file);
    const base = dirname(resolve(file));
    const clusters = new Map<string, FileCluster>();
    (doc.clusters ?? []).forEach((c, i) => {
      const where = `${file}: clusters[${i}]`;
      const need = (field: keyof FileCluster, hint: string): string => {
        const v = c?.[field];
        if (typeof v !== 'string' || v === '')
          throw new KsError('InvalidInput', `${where} has no ${field}; ${hint}`);
        return v;
      };
      const id = need('id', "set it to the UID of the cluster's kube-system namespace");
      if (!CLUSTER_ID.test(id)) {
        throw new KsError(
          'InvalidInput',
          `${where}.id '${id}' is not a cluster id (letters, digits, '.', '_', '-')`,
        );
      }
      if (clusters.has(id)) throw new KsError('InvalidInput', `${where}.id '${id}' is listed twice`);
      clusters.set(id, {
        id,
        ...(c?.displayName ? { displayName: c.displayName } : {}),
        kubeconfigFile: resolve(base, need('kubeconfigFile', 'name the file holding its kubeconfig')),
        shimKeyFile: resolve(base, need('shimKeyFile', 'name the file holding the shim key in base64')),
      });
    });
    return new FileClusterRegistry(file, clusters);
  }

  /** The listed clusters. */
  list(): Promise<readonly ClusterRegistration[]> {
    return Promise.resolve(
      [...this.clusters.values()].map(({ id, displayName }) => ({
        id,
        ...(displayName ? { displayName } : {}),
      })),
    );
  }

  /** The shim key of a listed cluster (read from its file now); undefined for an unknown cluster. */
  async shimKey(clusterId: string): Promise<Uint8Array | undefined> {
    const c = this.clusters.get(clusterId);
    if (!c) return undefined;
    const text = await this.read(c.shimKeyFile, c.id);
    return decodeShimKey(text, `the shim key file of cluster ${c.id} (${c.shimKeyFile})`);
  }

  /** The kubeconfig of a listed cluster (read from its file now); undefined for an unknown cluster. */
  async kubeconfig(clusterId: string): Promise<string | undefined> {
    const c = this.clusters.get(clusterId);
    return c ? this.read(c.kubeconfigFile, c.id) : undefined;
  }

  private async read(path: string, id: string): Promise<string> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'error';
      throw new KsError(
        'InvalidInput',
        `cannot read ${path} of cluster ${id} listed in ${this.file}: ${code}`,
        {
          cause: err,
        },
      );
    }
  }
}
