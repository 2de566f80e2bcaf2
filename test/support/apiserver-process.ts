/**
 * Restarting a private control plane's kube-apiserver for fault tests: find its process, stop it as
 * the kubelet stops a static pod (SIGTERM, SIGKILL after a grace period), and start the same command
 * line again (same port, certificates and etcd, so resourceVersions continue).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kluctlDeploymentCrdPath } from '../../lib/api/crd.js';
import { kubectl, startControlPlane, type ControlPlane } from '../../devenv/control-plane.js';
import { startProcess, type ManagedProcess } from '../../devenv/processes.js';
import { eventually, testEnv } from './test-env.js';

/** Throws with kubectl's stderr when it failed. */
export async function must(p: ReturnType<typeof kubectl>): Promise<void> {
  const r = await p;
  if (r.code !== 0) throw new Error(r.stderr);
}

/**
 * A control plane of the test's own (the shared one serves other test files, so it must never be
 * restarted), with the KluctlDeployment CRD established and `namespace` created; logs under `name`.
 */
export async function startPrivateControlPlane(name: string, namespace: string): Promise<ControlPlane> {
  const env = testEnv();
  const cp = await startControlPlane({ workDir: join(env.runDir, name), logsDir: join(env.logsDir, name) });
  const crd = kluctlDeploymentCrdPath();
  await must(kubectl(cp.kubeconfigPath, ['apply', '--server-side', '-f', crd]));
  await must(kubectl(cp.kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=60s', '-f', crd]));
  await must(kubectl(cp.kubeconfigPath, ['create', 'namespace', namespace]));
  return cp;
}

/** The running kube-apiserver of `cp`: its pid and command line (found by its --secure-port). */
export function apiServerProcess(cp: ControlPlane): { pid: number; argv: string[] } {
  const port = new URL(cp.server).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (argv[0]?.endsWith('kube-apiserver') && argv.includes(`--secure-port=${port}`)) {
      return { pid: Number(entry), argv };
    }
  }
  throw new Error(`no kube-apiserver with --secure-port=${port} found`);
}

/** Whether process `pid` runs (an exited child not yet reaped shows as a zombie, state Z). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Stops `cp`'s kube-apiserver and returns its command line, for {@link startApiServerAgain}. */
export async function stopApiServer(cp: ControlPlane): Promise<string[]> {
  const { pid, argv } = apiServerProcess(cp);
  process.kill(-pid, 'SIGTERM');
  await eventually(async () => expect(running(pid)).toBe(false), { timeoutMs: 10_000 }).catch(() =>
    process.kill(-pid, 'SIGKILL'),
  );
  await eventually(async () => expect(running(pid)).toBe(false), { timeoutMs: 10_000 });
  return argv;
}

/** Starts a stopped kube-apiserver again from its command line and waits until it is ready. */
export async function startApiServerAgain(
  cp: ControlPlane,
  argv: readonly string[],
  logsDir: string,
): Promise<ManagedProcess> {
  const proc = startProcess({
    name: 'kube-apiserver-restarted',
    command: argv[0]!,
    args: argv.slice(1),
    logsDir,
  });
  await eventually(
    async () => expect((await kubectl(cp.kubeconfigPath, ['get', '--raw', '/readyz'])).code).toBe(0),
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  return proc;
}
