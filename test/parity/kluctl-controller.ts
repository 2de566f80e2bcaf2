/**
 * The real Kluctl controller (`kluctl controller run` of the reference binary) against the test API
 * server, for what only the controller exposes: `status.lastObjectsHash`. It watches one namespace
 * only, runs with `--dry-run`, and the KluctlDeployments the suite gives it are `manual: true` without
 * an approved hash, so it renders, hashes and diffs but never deploys.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import { kubectlJson, kubectlTest, testEnv } from '../env/test-env.js';
import { sleep, startProcess, tailFile } from '../env/processes.js';
import type { ManagedProcess } from '../env/processes.js';
import type { ParityCase } from './projects.js';
import { referenceKluctl } from './reference.js';

/** A KluctlDeployment of the suite. */
export interface ParityDeployment {
  readonly name: string;
  readonly namespace: string;
  readonly spec: KluctlDeploymentSpec;
}

/** What the controller reported for one deployment. */
export interface ControllerOutcome {
  readonly lastObjectsHash?: string;
  readonly lastPrepareError?: string;
}

/** The KluctlDeployment for a case whose repository is served at `url`: as in Kluctl's GitOps docs, but manual. */
export function parityDeployment(
  c: ParityCase,
  name: string,
  namespace: string,
  url: string,
): ParityDeployment {
  // `-a` values are YAML, as spec.args values are after kubectl read them.
  const args = Object.fromEntries(Object.entries(c.args).map(([k, v]) => [k, parse(v) as unknown]));
  const spec = {
    interval: '1h',
    source: { git: { url, ...(c.path ? { path: c.path } : {}) } },
    ...(c.target === undefined ? {} : { target: c.target }),
    ...(Object.keys(args).length > 0 ? { args } : {}),
    context: 'default',
    manual: true,
    // Validation reads every object back from the cluster; nothing is deployed, so it tells nothing.
    validate: false,
  } as KluctlDeploymentSpec;
  return { name, namespace, spec };
}

/** Applies the deployments (server-side, so reruns are harmless). */
export async function applyDeployments(deployments: readonly ParityDeployment[]): Promise<void> {
  const items = deployments.map((d) => ({
    apiVersion: 'gitops.kluctl.io/v1beta1',
    kind: 'KluctlDeployment',
    metadata: { name: d.name, namespace: d.namespace },
    spec: d.spec,
  }));
  const res = await kubectlTest(['apply', '--server-side', '--field-manager=parity', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
  if (res.code !== 0) throw new Error(`applying the parity KluctlDeployments failed: ${res.stderr.trim()}`);
}

/** Starts the controller (4 reconciles at a time, its default) watching `namespace`; stop it with `stop()`. */
export async function startKluctlController(namespace: string): Promise<ManagedProcess> {
  const env = testEnv();
  await kubectlTest(['create', 'namespace', 'kluctl-system']);
  const cacheDir = await mkdtemp(join(env.runDir, 'kluctl-controller-cache-'));
  return startProcess({
    name: 'kluctl-controller',
    command: referenceKluctl(),
    args: [
      'controller',
      'run',
      '--kubeconfig',
      env.kubeconfigPath,
      '--context',
      'default',
      '--controller-namespace',
      'kluctl-system',
      '--namespace',
      namespace,
      '--dry-run',
      '--metrics-bind-address=0',
      '--health-probe-bind-address=0',
      '--source-override-bind-address=0',
      '--no-update-check',
    ],
    env: { ...process.env, KLUCTL_CACHE_DIR: cacheDir },
    logsDir: env.logsDir,
  });
}

interface DeploymentStatus {
  status?: { lastObjectsHash?: string; lastPrepareError?: string };
}

/**
 * Waits until the controller reported a hash or a prepare error for deployment `name`; throws with the
 * controller's log tail when it exits or does not report within `timeoutMs`.
 */
export async function waitForOutcome(
  controller: ManagedProcess,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<ControllerOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await kubectlJson<DeploymentStatus>(['get', 'kluctldeployment', name, '-n', namespace]);
    const s = d.status ?? {};
    if (s.lastObjectsHash || s.lastPrepareError) return s;
    if (controller.hasExited() || Date.now() > deadline) {
      const why = controller.hasExited() ? 'it exited' : `not within ${timeoutMs} ms`;
      throw new Error(
        `the Kluctl controller reported nothing for ${name} (${why}):\n${tailFile(controller.logFile)}`,
      );
    }
    await sleep(2000);
  }
}
