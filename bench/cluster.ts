/** A throwaway control plane for benchmarks, stopped on exit. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpKubeClient } from '../lib/adapters/http-kube-client.js';
import { kubectl, startControlPlane } from '../devenv/control-plane.js';
import type { ControlPlane } from '../devenv/control-plane.js';
import { startGitServer } from '../devenv/git-server.js';
import type { GitServer } from '../devenv/git-server.js';
import { stopAll } from '../devenv/processes.js';

/** Runs `fn` with a fresh control plane (or $KS_TEST_KUBECONFIG's cluster). */
export async function withCluster<T>(fn: (kubeconfigPath: string) => Promise<T>): Promise<T> {
  if (process.env.KS_TEST_KUBECONFIG) return fn(process.env.KS_TEST_KUBECONFIG);
  const work = await mkdtemp(join(tmpdir(), 'ks-bench-'));
  let cp: ControlPlane | undefined;
  try {
    cp = await startControlPlane({ workDir: join(work, 'cluster'), logsDir: join(work, 'logs') });
    return await fn(cp.kubeconfigPath);
  } finally {
    await cp?.stop();
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/** Milliseconds since `t0`, rounded. */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** Installs the CRD and creates the `bench` namespace: what every reconcile benchmark starts from. */
export async function prepareBenchCluster(kc: string): Promise<void> {
  await kubectl(kc, ['apply', '--server-side', '-f', 'crds/']);
  await kubectl(kc, ['wait', '--for=condition=Established', 'crd/kluctldeployments.gitops.kluctl.io']);
  await kubectl(kc, ['create', 'namespace', 'bench']);
}

/** What a reconcile benchmark works with: the cluster, a client of it, a Git server and a work folder. */
export interface ReconcileBench {
  readonly kc: string;
  readonly kube: HttpKubeClient;
  readonly git: GitServer;
  readonly dir: string;
}

/** Runs `fn` on a prepared cluster (see prepareBenchCluster) with a Git server, all stopped after. */
export async function withReconcileBench<T>(fn: (b: ReconcileBench) => Promise<T>): Promise<T> {
  return withCluster(async (kc) => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-bench-reconcile-'));
    const git = await startGitServer();
    const kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: kc });
    try {
      await prepareBenchCluster(kc);
      return await fn({ kc, kube, git, dir });
    } finally {
      kube.close();
      await git.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
