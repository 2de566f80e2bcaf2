/**
 * Composition root of the CLI and the local runner: reads flags and environment once and builds the
 * adapters lib/ needs. The Lambda functions have their own root in functions/shared/.
 */
import { HttpOciSource } from '../lib/adapters/http-oci-source.js';
import { mkdir } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsSdkSecretsReader } from '../lib/adapters/aws-secrets.js';
import { FsStateStore } from '../lib/adapters/fs-state-store.js';
import { IsomorphicGitRefLister } from '../lib/adapters/isomorphic-git-refs.js';
import { SopsCliDecryptor } from '../lib/adapters/sops-cli.js';
import { openSopsKeySession } from '../lib/adapters/sops-keyring.js';
import type { VarsServices } from '../lib/project/vars/vars-services.js';
import { HttpKubeClient } from '../lib/adapters/http-kube-client.js';
import { HttpKubeClientFactory } from '../lib/adapters/kube-client-factory.js';
import { cloneCachedGit } from '../lib/compose/clone-cached-git.js';
import { KubeSecretsResultStore } from '../lib/adapters/kube-secrets-result-store.js';
import { startObjectCaches } from '../lib/adapters/object-caches.js';
import { jsonLogger } from '../lib/logging/json-logger.js';
import type { KubeClient, Logger, StateStore } from '../lib/ports.js';
import { systemClock } from '../lib/ports.js';
import type { ReconcileDeps } from '../lib/reconcile/reconcile.js';
import { runtimeToolPath } from '../lib/runtime-tools.js';
import { processMetrics } from '../lib/reconcile/metrics.js';

/** Flags shared by commands that talk to a cluster. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
}

/** Flags that choose the state store. */
export interface StateFlags {
  stateDir?: string;
  s3Bucket?: string;
  s3Endpoint?: string;
  s3Prefix?: string;
}

/** The kustomize binary: $KLUCTL_SERVERLESS_KUSTOMIZE, else the pinned build in the cache. */
export function kustomizePath(): string {
  return runtimeToolPath('kustomize', { overrides: { kustomize: process.env.KLUCTL_SERVERLESS_KUSTOMIZE } });
}

/** A Kubernetes client from --kubeconfig/--context (or $KUBECONFIG). */
export function kubeClient(flags: ClusterFlags): Promise<HttpKubeClient> {
  return HttpKubeClient.fromKubeconfig({
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
}

/** The state store: S3 when a bucket is given (flag or $KLUCTL_SERVERLESS_S3_BUCKET), else a local folder. */
export async function stateStore(flags: StateFlags): Promise<{ store: StateStore; where: string }> {
  const bucket = flags.s3Bucket ?? process.env.KLUCTL_SERVERLESS_S3_BUCKET;
  if (bucket) {
    const endpoint = flags.s3Endpoint ?? process.env.KLUCTL_SERVERLESS_S3_ENDPOINT;
    // The AWS SDK is loaded only when state goes to S3.
    const { createS3StateStore } = await import('../lib/adapters/s3-factory.js');
    const store = createS3StateStore({
      bucket,
      ...(endpoint ? { endpoint } : {}),
      ...(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}),
      ...(flags.s3Prefix ? { prefix: flags.s3Prefix } : {}),
    });
    return { store, where: `s3://${bucket}` };
  }
  const dir = resolve(
    flags.stateDir ?? process.env.KLUCTL_SERVERLESS_STATE_DIR ?? '.kluctl-serverless/state',
  );
  await mkdir(dir, { recursive: true });
  return { store: new FsStateStore(dir), where: dir };
}

/** A JSON logger on stderr. */
export function cliLogger(debug = false): Logger {
  return jsonLogger((l) => process.stderr.write(`${l}\n`), debug ? 'debug' : 'info');
}

/** Everything a reconcile needs, for the local runner. */
export async function reconcileDeps(
  flags: ClusterFlags &
    StateFlags & {
      debug?: boolean;
      logger?: Logger;
      defaultServiceAccount?: string;
      /** `run --quiet-steady-state` (run-report.ts). */
      quietSteadyState?: boolean;
      /** Watch-backed object caches (ADR 0014): only for a process that lives across reconciles. */
      objectCache?: boolean;
      /** The namespace of the deployments the caller reconciles (default all), for the caches. */
      namespace?: string;
    },
): Promise<{
  deps: ReconcileDeps;
  kube: HttpKubeClient;
  stateWhere: string;
  /** Ends the object caches' watches. */
  stopCaches: () => Promise<void>;
}> {
  const kube = await kubeClient(flags);
  const { store, where } = await stateStore(flags);
  const workDir = join(tmpdir(), 'kluctl-serverless');
  await mkdir(workDir, { recursive: true });
  const logger = flags.logger ?? cliLogger(flags.debug);
  const direct = { kube, clusters: new HttpKubeClientFactory(kube), stop: async () => {} };
  const cached = flags.objectCache
    ? startObjectCaches({
        ...direct,
        reconnect: () => kubeClient(flags),
        logger,
        ...(flags.namespace ? { deploymentsNamespace: flags.namespace } : {}),
      })
    : direct;
  return {
    kube,
    stateWhere: where,
    stopCaches: () => cached.stop(),
    deps: {
      kube: cached.kube,
      store,
      // The same clone cache as the functions, in the runner's state store.
      git: cloneCachedGit(store, logger),
      oci: new HttpOciSource(),
      clock: systemClock,
      logger,
      workDir,
      kustomizePath: kustomizePath(),
      helmPath: runtimeToolPath('helm', { overrides: { helm: process.env.KLUCTL_SERVERLESS_HELM } }),
      // Like Kluctl's controller: only the keys of spec.decryption, never the runner's credentials
      // (its AWS endpoint settings do pass, e.g. AWS_ENDPOINT_URL_KMS).
      sopsWithKeys: (keys) =>
        openSopsKeySession(keys, {
          binary: () => runtimeToolPath('sops', { overrides: { sops: process.env.KLUCTL_SERVERLESS_SOPS } }),
          runnerEnv: process.env,
        }),
      serviceAccountTokens: kube,
      varsServices: { env: {}, gitRefs: new IsomorphicGitRefLister(), awsSecrets: new AwsSdkSecretsReader() },
      holder: `${hostname()}-${process.pid}`,
      // spec.kubeConfig and spec.serviceAccountName (or --default-service-account) connect through it.
      clusters: cached.clusters,
      // What `/metrics` renders (renderMetrics()).
      metrics: processMetrics,
      // Results also go where Kluctl's CLI (`kluctl gitops deploy`, ...) reads them.
      kluctlResults: new KubeSecretsResultStore(cached.kube),
      ...(flags.defaultServiceAccount ? { defaultServiceAccount: flags.defaultServiceAccount } : {}),
      ...(flags.quietSteadyState ? { quietSteadyState: true } : {}),
    },
  };
}

/**
 * The SOPS decryptor of the CLI: the pinned sops ($KLUCTL_SERVERLESS_SOPS overrides it), resolved on
 * first use, with this process's environment, so keys come from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and
 * the default keys.txt as with Kluctl's CLI.
 */
export function sopsDecryptor(): SopsCliDecryptor {
  return new SopsCliDecryptor({
    binary: () => runtimeToolPath('sops', { overrides: { sops: process.env.KLUCTL_SERVERLESS_SOPS } }),
    env: process.env,
  });
}

/** What the CLI's vars sources reach: the cluster (when there is one), the environment, Git refs, AWS. */
export function cliVarsServices(kube: KubeClient | undefined): VarsServices {
  return {
    ...(kube ? { cluster: kube } : {}),
    env: process.env,
    gitRefs: new IsomorphicGitRefLister(),
    awsSecrets: new AwsSdkSecretsReader(),
  };
}
