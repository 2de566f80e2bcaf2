/**
 * The real Kluctl controller (`kluctl controller run` of the reference binary) against the test API
 * server, watching one namespace. The objects-hash suite runs it with `--dry-run` on `manual: true`
 * KluctlDeployments without an approved hash, so it renders, hashes and diffs but never deploys; the
 * controller parity suite lets it deploy and counts its finished reconciles in its log
 * ({@link waitReconciled}).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import { kluctlDeployment } from '../support/kluctl-deployment.js';
import { kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { sleep, startProcess, tailFile } from '../../devenv/processes.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import type { ParityCase } from './projects.js';
import { referenceKluctl } from '../../devenv/reference-kluctl.js';

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
  const items = deployments.map((d) => kluctlDeployment(d.namespace, d.name, d.spec));
  const res = await kubectlTest(['apply', '--server-side', '--field-manager=parity', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
  if (res.code !== 0) throw new Error(`applying the parity KluctlDeployments failed: ${res.stderr.trim()}`);
}

/** Options of {@link startKluctlController}. */
export interface KluctlControllerOptions {
  /** `--dry-run`: nothing changes in the cluster but the status. Default true. */
  readonly dryRun?: boolean;
  /** `--controller-namespace` (its leases and results); default `kluctl-system`, created if missing. */
  readonly controllerNamespace?: string;
  /** Further flags (e.g. `--controller-name`, `--command-result-namespace`). */
  readonly extraArgs?: readonly string[];
  /** `--metrics-bind-address` (e.g. `127.0.0.1:8080`); default `0`, no metrics endpoint. */
  readonly metricsBindAddress?: string;
}

/**
 * Starts the controller (4 reconciles at a time, its default) watching `namespace`; stop it with
 * `stop()`, read its log from `logFile`. Every parity test starts Kluctl's controller through here.
 */
export async function startKluctlController(
  namespace: string,
  opts: KluctlControllerOptions = {},
): Promise<ManagedProcess> {
  const env = testEnv();
  const controllerNamespace = opts.controllerNamespace ?? 'kluctl-system';
  if (!opts.controllerNamespace) await kubectlTest(['create', 'namespace', controllerNamespace]);
  const cacheDir = await mkdtemp(join(env.runDir, 'kluctl-controller-cache-'));
  return startProcess({
    name: `kluctl-controller-${namespace}-${Date.now()}`,
    command: referenceKluctl(),
    args: [
      'controller',
      'run',
      '--kubeconfig',
      env.kubeconfigPath,
      '--context',
      'default',
      '--controller-namespace',
      controllerNamespace,
      '--namespace',
      namespace,
      ...((opts.dryRun ?? true) ? ['--dry-run'] : []),
      ...(opts.extraArgs ?? []),
      `--metrics-bind-address=${opts.metricsBindAddress ?? '0'}`,
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

/** How many reconciles of `namespace/name` the controller has finished (its log says so for each). */
export function finishedReconciles(controller: ManagedProcess, namespace: string, name: string): number {
  return readFileSync(controller.logFile, 'utf8')
    .split('\n')
    .filter((line) => isFinishLine(line, namespace, name)).length;
}

/** Waits until `count` reconciles of `namespace/name` have finished; throws with the log tail after `timeoutMs`. */
export async function waitReconciled(
  controller: ManagedProcess,
  target: { namespace: string; name: string },
  count: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (finishedReconciles(controller, target.namespace, target.name) < count) {
    if (controller.hasExited() || Date.now() > deadline) {
      const why = controller.hasExited() ? 'it exited' : `not within ${timeoutMs} ms`;
      throw new Error(
        `the Kluctl controller did not finish reconcile ${count} of ${target.namespace}/${target.name} (${why}):\n${tailFile(controller.logFile, 60)}`,
      );
    }
    await sleep(250);
  }
}

/** Whether a controller log line (JSON) reports the end of a reconcile of `namespace/name`. */
function isFinishLine(line: string, namespace: string, name: string): boolean {
  if (!/Reconciliation (finished|failed)/.test(line)) return false;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.name === name && entry.namespace === namespace;
  } catch {
    return false;
  }
}
