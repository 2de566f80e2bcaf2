/**
 * The reference Kluctl controller (`kluctl controller run`, v2.28.2) as a child process of a parity
 * test, watching one namespace of the test cluster. Its log is the only signal that a reconcile
 * finished, so {@link KluctlController.waitReconciled} counts the "Reconciliation finished" and
 * "Reconciliation failed" lines it writes per KluctlDeployment.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { kubectlTest, testEnv } from '../env/test-env.js';
import { sleep, startProcess } from '../env/processes.js';
import type { ManagedProcess } from '../env/processes.js';
import { referenceKluctl } from './reference.js';

/** A running reference controller. */
export interface KluctlController {
  /** How many reconciles of `namespace/name` have finished so far. */
  reconciles(namespace: string, name: string): number;
  /** Waits until `count` reconciles of `namespace/name` have finished; throws with the log tail after `timeoutMs`. */
  waitReconciled(namespace: string, name: string, count: number, timeoutMs?: number): Promise<void>;
  /** Stops the controller and waits for it to exit. */
  stop(): Promise<void>;
}

/** Creates the controller namespace Kluctl expects (`kluctl-system`); harmless when it exists. */
export async function ensureControllerNamespace(): Promise<void> {
  const r = await kubectlTest(['create', 'namespace', 'kluctl-system']);
  if (r.code !== 0 && !/AlreadyExists/.test(r.stderr))
    throw new Error(`could not create namespace kluctl-system: ${r.stderr}`);
}

/** Starts `kluctl controller run` for the KluctlDeployments of `namespace` (the flags of its README). */
export async function startKluctlController(namespace: string): Promise<KluctlController> {
  await ensureControllerNamespace();
  const env = testEnv();
  const cacheDir = await mkdtemp(join(env.runDir, 'kluctl-controller-cache-'));
  const proc: ManagedProcess = startProcess({
    name: `kluctl-controller-${namespace}-${Date.now()}`,
    command: referenceKluctl(),
    args: [
      'controller',
      'run',
      '--no-update-check',
      `--kubeconfig=${env.kubeconfigPath}`,
      '--context=default',
      '--controller-namespace=kluctl-system',
      `--namespace=${namespace}`,
      '--metrics-bind-address=0',
      '--health-probe-bind-address=0',
      '--source-override-bind-address=0',
    ],
    env: { ...process.env, KLUCTL_CACHE_DIR: cacheDir },
    logsDir: env.logsDir,
  });
  const finished = (ns: string, name: string): number =>
    readFileSync(proc.logFile, 'utf8')
      .split('\n')
      .filter((line) => isFinishLine(line, ns, name)).length;
  return {
    reconciles: finished,
    async waitReconciled(ns, name, count, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (finished(ns, name) < count) {
        if (proc.hasExited()) throw new Error(`the Kluctl controller exited:\n${tail(proc.logFile)}`);
        if (Date.now() > deadline)
          throw new Error(
            `the Kluctl controller did not finish reconcile ${count} of ${ns}/${name} in ${timeoutMs} ms:\n${tail(proc.logFile)}`,
          );
        await sleep(250);
      }
    },
    stop: () => proc.stop(),
  };
}

/** Whether a controller log line reports the end of a reconcile of `namespace/name`. */
function isFinishLine(line: string, namespace: string, name: string): boolean {
  if (!/Reconciliation (finished|failed)/.test(line)) return false;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.name === name && entry.namespace === namespace;
  } catch {
    // Not JSON (console encoder): match the key/value pairs in the text.
    return line.includes(`"name": "${name}"`) && line.includes(`"namespace": "${namespace}"`);
  }
}

function tail(file: string, lines = 60): string {
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}
