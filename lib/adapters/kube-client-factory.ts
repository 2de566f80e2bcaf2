/**
 * The {@link KubeClientFactory} over {@link HttpKubeClient}: the runner's own cluster as another user
 * (impersonation over the runner's connection), or the cluster of a kubeconfig taken from a
 * KluctlDeployment's Secret. Such a kubeconfig comes from whoever may write Secrets in that namespace,
 * so before it is used it must be self-contained: credentials that make the runner read its own files
 * (`tokenFile`, certificate paths) or run programs (`exec`, `auth-provider`) are refused, because they
 * would let a namespace user send the runner's credentials to a server of their choice. Flux's
 * kustomize-controller refuses exec plugins in such kubeconfigs for the same reason.
 */
import { KsError, ProjectLoadError } from '../errors.js';
import { readYaml } from '../util/yaml.js';
import type { ClusterAccess, ClusterClient, KubeClientFactory } from '../ports.js';
import { HttpKubeClient } from './http-kube-client.js';

/** Fields of a kubeconfig user that make the runner read a local file or run a program. */
const UNSAFE_USER_FIELDS: readonly (readonly [string, string])[] = [
  ['exec', 'an exec credential plugin'],
  ['auth-provider', 'an auth-provider plugin'],
  ['tokenFile', 'a token file'],
  ['client-certificate', 'a client certificate file'],
  ['client-key', 'a client key file'],
];

/** Clients for target clusters, sharing the runner's connection when only the identity changes. */
export class HttpKubeClientFactory implements KubeClientFactory {
  /** `own` is the runner's client for its own cluster; its connection stays open across reconciles. */
  constructor(private readonly own: HttpKubeClient) {}

  async connect(access: ClusterAccess): Promise<ClusterClient> {
    const user = access.impersonateUser;
    if (access.kubeconfigYaml === undefined) {
      // The runner's own client must not be closed at the end of one reconcile.
      return this.own.withIdentity(user);
    }
    const source = access.kubeconfigSource ?? 'the kubeconfig';
    checkSelfContained(access.kubeconfigYaml, source);
    try {
      return await HttpKubeClient.fromKubeconfig({
        kubeconfigYaml: access.kubeconfigYaml,
        ...(user ? { impersonateUser: user } : {}),
      });
    } catch (err) {
      throw new KsError('InvalidInput', `${source} holds no usable kubeconfig${safeReason(err)}`, {
        cause: err,
      });
    }
  }
}

/**
 * The reason of a kubeconfig load failure when it is one that quotes no content: client-node's
 * structural checks and an unparsable server URL. Anything else might quote the kubeconfig.
 */
function safeReason(err: unknown): string {
  const msg = String((err as { message?: unknown } | undefined)?.message ?? '');
  if (/^(clusters|users|contexts)\[\d+\]\.[\w.]+ is missing$/.test(msg)) return `: ${msg}`;
  if ((err as { code?: unknown }).code === 'ERR_INVALID_URL') return ': its server is not a valid URL';
  return '';
}

type Named<T> = { name?: unknown } & T;
type KubeconfigDoc = {
  'current-context'?: unknown;
  contexts?: Named<{ context?: { cluster?: unknown; user?: unknown } }>[];
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
};

/**
 * Checks that the current context of `yaml` exists and names only embedded credentials. Errors name
 * `source` and the offending field, never a value of the kubeconfig.
 */
export function checkSelfContained(yaml: string, source: string): void {
  let doc: KubeconfigDoc;
  try {
    // Read as client-go reads kubeconfigs (sigs.k8s.io/yaml).
    doc = (readYaml(yaml, source) ?? {}) as KubeconfigDoc;
  } catch (err) {
    // Only the error's position is kept: nothing of the kubeconfig's text may reach a message.
    const line = err instanceof ProjectLoadError ? err.position?.line : undefined;
    throw new KsError(
      'InvalidInput',
      `${source} is not valid YAML${line ? ` (line ${line})` : ''}; store a kubeconfig in it`,
    );
  }
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new KsError('InvalidInput', `${source} is not a kubeconfig; store a kubeconfig in it`);
  }
  const current = doc['current-context'];
  if (typeof current !== 'string' || current === '') {
    throw new KsError(
      'InvalidInput',
      `${source} sets no current-context; set current-context to the context to deploy to`,
    );
  }
  const ctx = (doc.contexts ?? []).find((c) => c?.name === current)?.context;
  if (!ctx) {
    throw new KsError(
      'InvalidInput',
      `${source}: its current-context "${current}" is not among its contexts`,
    );
  }
  const cluster = (doc.clusters ?? []).find((c) => c?.name === ctx.cluster)?.cluster ?? {};
  if (cluster['certificate-authority'] !== undefined) {
    throw new KsError(
      'InvalidInput',
      `${source}: cluster "${String(ctx.cluster)}" reads its CA from a file of the runner; embed it as certificate-authority-data`,
    );
  }
  const user = (doc.users ?? []).find((u) => u?.name === ctx.user)?.user ?? {};
  for (const [field, what] of UNSAFE_USER_FIELDS) {
    if (user[field] !== undefined) {
      throw new KsError(
        'InvalidInput',
        `${source}: user "${String(ctx.user)}" uses ${what} (${field}), which the runner refuses for kubeconfigs from Secrets; embed a token or client-certificate-data/client-key-data instead`,
      );
    }
  }
}
