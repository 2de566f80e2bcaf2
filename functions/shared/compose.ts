/**
 * Composition root of the Lambda functions, built once per cold start from the environment:
 * `STATE_BUCKET` (required), cluster access from `KUBECONFIG_SECRET_ARN` (the kubeconfig YAML in Secrets
 * Manager, as the CDK app wires it), else `KUBECONFIG_CONTENT` or a `KUBECONFIG` path (local use),
 * `KUSTOMIZE_PATH` (default: the layer's /opt/bin/kustomize), and `DEFAULT_SERVICE_ACCOUNT` (Kluctl's
 * `--default-service-account`: the service account, in each deployment's namespace, impersonated when
 * `spec.serviceAccountName` is empty; default none, so such deployments use the function's identity).
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../../lib/adapters/kube-client-factory.js';
import { IsomorphicGitSource } from '../../lib/adapters/isomorphic-git-source.js';
import { createS3StateStore } from '../../lib/adapters/s3-factory.js';
import { SopsCliDecryptor } from '../../lib/adapters/sops-cli.js';
import { IsomorphicGitRefLister } from '../../lib/adapters/isomorphic-git-refs.js';
import { AwsSdkSecretsReader } from '../../lib/adapters/aws-secrets.js';
import { KsError } from '../../lib/errors.js';
import { jsonLogger } from '../../lib/logging/json-logger.js';
import { systemClock } from '../../lib/ports.js';
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
  const bucket = env.STATE_BUCKET;
  if (!bucket)
    throw new KsError(
      'InvalidInput',
      'STATE_BUCKET is not set; the CDK app sets it to the state bucket name',
    );
  const awsSecrets = new AwsSdkSecretsReader();
  const kubeconfigYaml = env.KUBECONFIG_SECRET_ARN
    ? await awsSecrets.requireSecretString(env.KUBECONFIG_SECRET_ARN, env.AWS_REGION)
    : env.KUBECONFIG_CONTENT;
  const kube = await HttpKubeClient.fromKubeconfig(
    kubeconfigYaml ? { kubeconfigYaml } : env.KUBECONFIG ? { kubeconfigPath: env.KUBECONFIG } : {},
  );
  const workDir = join(tmpdir(), 'reconcile');
  await mkdir(workDir, { recursive: true });
  return {
    kube,
    store: createS3StateStore({
      bucket,
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
    }),
    git: new IsomorphicGitSource(),
    clock: systemClock,
    logger: jsonLogger((l) => process.stdout.write(`${l}\n`)),
    workDir,
    kustomizePath: env.KUSTOMIZE_PATH ?? '/opt/bin/kustomize',
    helmPath: env.HELM_PATH ?? '/opt/bin/helm',
    sopsWithKeys: (ageKeys) =>
      new SopsCliDecryptor({ binary: env.SOPS_PATH ?? '/opt/bin/sops', env: {}, ageKeys }),
    varsServices: { env: {}, gitRefs: new IsomorphicGitRefLister(), awsSecrets },
    holder: env.AWS_LAMBDA_LOG_STREAM_NAME ?? `lambda-${process.pid}`,
    clusters: new HttpKubeClientFactory(kube),
    ...(env.DEFAULT_SERVICE_ACCOUNT ? { defaultServiceAccount: env.DEFAULT_SERVICE_ACCOUNT } : {}),
  };
}
