/**
 * The target cluster of a reconcile and the identity used there (kluctl-semantics §9.5), as Kluctl's
 * controller builds them:
 * - `spec.kubeConfig.secretRef`: the kubeconfig in a Secret of the deployment's namespace (key `key`,
 *   else `value`, else `value.yaml`), read with the runner's identity; its current context is used.
 *   Without it, the runner's own cluster and credentials.
 * - `spec.serviceAccountName`, else the runner's default service account: every request to the target
 *   impersonates `system:serviceaccount:<deployment namespace>:<name>`.
 * - Whatever the source, the controller exposes the result as a kubeconfig with the single context
 *   `default`: a `spec.context` or target `context` naming anything else fails with
 *   `context "<name>" does not exist`, and templates see `target.context` = `default`.
 * Reading the deployment, writing its status and finalizer, and reading credential Secrets stay with
 * the runner's own client; rendering lookups, deploy, prune, validate and delete use the target.
 */
import type { KluctlDeploymentSpec } from '../api/types.js';
import { errorMessage, KsError } from '../errors.js';
import type { KubeClient, KubeClientFactory } from '../ports.js';
import { readKluctlProjectConfig } from '../project/kluctl-config.js';
import { loadTargets, selectTarget } from '../project/targets.js';
import { TemplateEngine } from '../templating/template-engine.js';

/** The one context name Kluctl's controller offers a deployment. */
export const CONTROLLER_CONTEXT = 'default';

/** What connecting to a target needs from the reconcile's dependencies. */
export interface TargetClusterDeps {
  /** The runner's own client: reads the kubeConfig Secret; the target when nothing else is named. */
  readonly kube: KubeClient;
  /** Builds clients for kubeconfigs from Secrets and impersonated users; without it such specs fail. */
  readonly clusters?: KubeClientFactory;
  /** Service account impersonated when `spec.serviceAccountName` is empty (`--default-service-account`). */
  readonly defaultServiceAccount?: string;
}

/** The deployment whose target is connected. */
export interface TargetClusterOwner {
  readonly namespace: string;
  readonly spec: KluctlDeploymentSpec;
}

/** A connected target cluster; `close` when the reconcile is done with it. */
export interface TargetCluster {
  readonly kube: KubeClient;
  /** The context name of the target (`target.context` in templates). */
  readonly contextName: string;
  /** The impersonated user, if any (for logs; never a credential). */
  readonly user?: string;
  close(): void;
}

/** The impersonated user name of a deployment, or undefined for the runner's own identity. */
export function impersonatedUser(kd: TargetClusterOwner, defaultServiceAccount?: string): string | undefined {
  const name = kd.spec.serviceAccountName || defaultServiceAccount;
  return name ? `system:serviceaccount:${kd.namespace}:${name}` : undefined;
}

/** The kubeconfig text of `spec.kubeConfig.secretRef`, with Kluctl's key lookup and messages. */
export async function readKubeconfigSecret(
  kube: KubeClient,
  kd: TargetClusterOwner,
): Promise<{ readonly yaml: string; readonly source: string }> {
  const ref = kd.spec.kubeConfig!.secretRef;
  const id = `${kd.namespace}/${ref.name}`;
  let secret;
  try {
    secret = await kube.get({
      group: '',
      version: 'v1',
      kind: 'Secret',
      name: ref.name,
      namespace: kd.namespace,
    });
  } catch (err) {
    throw new KsError(
      'InvalidInput',
      `unable to read KubeConfig secret '${id}' error: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  if (!secret) {
    throw new KsError(
      'InvalidInput',
      `unable to read KubeConfig secret '${id}' error: Secret "${ref.name}" not found`,
    );
  }
  const data = (secret.data ?? {}) as Record<string, string>;
  const key = ref.key
    ? ref.key
    : data.value !== undefined
      ? 'value'
      : data['value.yaml'] !== undefined
        ? 'value.yaml'
        : undefined;
  if (key === undefined || data[key] === undefined) {
    throw new KsError(
      'InvalidInput',
      `KubeConfig secret '${id}' does not contain a '${ref.key || 'value'}' key with a kubeconfig`,
    );
  }
  return {
    yaml: Buffer.from(data[key], 'base64').toString('utf8'),
    source: `KubeConfig secret '${id}' key '${key}'`,
  };
}

const engine = new TemplateEngine();

/**
 * The context a deployment asks for: `spec.context`, else the `context` of `spec.target`. Like Kluctl,
 * the named target is looked up first, so a missing target is reported before any context problem.
 */
export async function requestedContext(
  projectDir: string,
  spec: KluctlDeploymentSpec,
): Promise<string | undefined> {
  let context: string | undefined;
  if (spec.target) {
    const loaded = await loadTargets(
      readKluctlProjectConfig(projectDir),
      (spec.args ?? {}) as Record<string, unknown>,
      engine,
    );
    context = selectTarget(loaded, { name: spec.target }).context;
  }
  return spec.context || context;
}

/**
 * Connects to the deployment's target cluster as its identity. With `context` (from
 * {@link requestedContext}) anything but `default` fails as with Kluctl's controller; deletion passes
 * none. Errors name the Secret or the setting, never kubeconfig content.
 */
export async function connectTargetCluster(
  deps: TargetClusterDeps,
  kd: TargetClusterOwner,
  context?: string,
): Promise<TargetCluster> {
  const kubeconfig = kd.spec.kubeConfig ? await readKubeconfigSecret(deps.kube, kd) : undefined;
  const user = impersonatedUser(kd, deps.defaultServiceAccount);
  let target: TargetCluster = { contextName: CONTROLLER_CONTEXT, kube: deps.kube, close: () => {} };
  if (kubeconfig || user) {
    if (!deps.clusters) {
      // Never fall back to the runner's identity: that is what these fields exist to prevent.
      const field = kubeconfig
        ? 'spec.kubeConfig'
        : 'spec.serviceAccountName (or the default service account)';
      throw new KsError('InvalidInput', `${field} is set, but this runner cannot connect as it says`);
    }
    const client = await deps.clusters.connect({
      ...(kubeconfig ? { kubeconfigYaml: kubeconfig.yaml, kubeconfigSource: kubeconfig.source } : {}),
      ...(user ? { impersonateUser: user } : {}),
    });
    target = {
      contextName: CONTROLLER_CONTEXT,
      kube: client,
      ...(user ? { user } : {}),
      close: () => client.close(),
    };
  }
  // Checked after the kubeconfig was parsed, the order in which Kluctl's client config reports errors.
  if (context && context !== CONTROLLER_CONTEXT) {
    target.close();
    throw new KsError('InvalidInput', `context "${context}" does not exist`);
  }
  return target;
}
