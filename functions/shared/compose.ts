/**
 * Composition root of the Lambda functions, built once per cold start from the environment:
 * `STATE_BUCKET` (required), cluster access from `KUBECONFIG_SECRET_ARN` (the kubeconfig YAML in Secrets
 * Manager, as the CDK app wires it), else `KUBECONFIG_CONTENT` or a `KUBECONFIG` path (local use),
 * `KUSTOMIZE_PATH` (default: the layer's /opt/bin/kustomize), and `DEFAULT_SERVICE_ACCOUNT` (Kluctl's
 * `--default-service-account`: the service account, in each deployment's namespace, impersonated when
 * `spec.serviceAccountName` is empty; default none, so such deployments use the function's identity).
 */
import { HttpOciSource } from '../../lib/adapters/http-oci-source.js';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { KubeconfigSource } from '../../lib/adapters/kube-http-transport.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { openSopsKeySession } from '../../lib/adapters/sops-keyring.js';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import { AwsSdkSecretsReader } from '../../lib/adapters/aws-secrets.js';
import { KsError } from '../../lib/errors.js';
import { cloneCachedGit } from '../../lib/compose/clone-cached-git.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
import { EmfMetricsSink } from '../../lib/reconcile/emf.js';
import type { ReconcileDeps } from '../../lib/reconcile/reconcile.js';

let cached: Promise<ReconcileDeps> | undefined;

/** The dependencies of the reconcile function, created on first use. */
export function functionDeps(env: NodeJS.ProcessEnv = process.env): Promise<ReconcileDeps> {
  cached ??= buildDeps(env).catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function buildDeps(env: NodeJS.ProcessEnv): Promise<ReconcileDeps> {
  const shared = await sharedReconcileDeps(env);
  const kube = await HttpKubeClient.fromKubeconfig(await ownKubeconfig(env));
  return {
    ...shared,
    kube,
    clusters: new HttpKubeClientFactory(kube),
    kluctlResults: new KubeSecretsResultStore(kube),
    serviceAccountTokens: kube,
  };
}

/**
 * Where the stack's own cluster is: the kubeconfig in Secrets Manager (`KUBECONFIG_SECRET_ARN`), else
 * `KUBECONFIG_CONTENT`, else the `KUBECONFIG` path, else client-node's default.
 */
export async function ownKubeconfig(env: NodeJS.ProcessEnv): Promise<KubeconfigSource> {
  const kubeconfigYaml = env.KUBECONFIG_SECRET_ARN
    ? await new AwsSdkSecretsReader().requireSecretString(env.KUBECONFIG_SECRET_ARN, env.AWS_REGION)
    : env.KUBECONFIG_CONTENT;
  return kubeconfigYaml ? { kubeconfigYaml } : env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {};
}

/** Everything a reconcile needs but the clients of its cluster, from the environment. */
export async function sharedReconcileDeps(
  env: NodeJS.ProcessEnv,
): Promise<Omit<ReconcileDeps, 'kube' | 'clusters'>> {
  const bucket = env.STATE_BUCKET;
  if (!bucket)
    throw new KsError(
      'InvalidInput',
      'STATE_BUCKET is not set; the CDK app sets it to the state bucket name',
    );
  const workDir = join(tmpdir(), 'reconcile');
  await mkdir(workDir, { recursive: true });
  const store = createS3StateStore({
    bucket,
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
  });
  const logger = jsonLogger((l) => process.stdout.write(`${l}\n`));
  return {
    store,
    // A cold function restores the checkout another run made instead of cloning (lib/serverless/clone-cache.ts).
    git: cloneCachedGit(store, logger),
    oci: new HttpOciSource(),
    clock: systemClock,
    logger,
    workDir,
    kustomizePath: env.KUSTOMIZE_PATH ?? '/opt/bin/kustomize',
    helmPath: env.HELM_PATH ?? '/opt/bin/helm',
    // Only the keys of spec.decryption (and the runner's endpoint settings), never the function's role.
    sopsWithKeys: (keys) =>
      openSopsKeySession(keys, { binary: env.SOPS_PATH ?? '/opt/bin/sops', runnerEnv: env }),
    varsServices: { env: {}, gitRefs: new IsomorphicGitRefLister(), awsSecrets: new AwsSdkSecretsReader() },
    holder: env.AWS_LAMBDA_LOG_STREAM_NAME ?? `lambda-${process.pid}`,
    // A warm function's next run of a deployment takes its lease without reading the state first.
    stateVersions: new Map(),
    // The runner's /metrics figures, as CloudWatch EMF lines in the function's log.
    metrics: new EmfMetricsSink((l) => process.stdout.write(`${l}\n`)),
    ...(env.DEFAULT_SERVICE_ACCOUNT ? { defaultServiceAccount: env.DEFAULT_SERVICE_ACCOUNT } : {}),
    // The stack's quietSteadyState (lib/reconcile/run-report.ts).
    ...(env.QUIET_STEADY_STATE === 'true' ? { quietSteadyState: true } : {}),
  };
}
