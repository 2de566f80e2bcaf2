/**
 * The seed example of issue 8, end to end: the two KluctlDeployments of Kluctl's GitOps docs
 * (kluctl-examples `microservices-demo/3-templating-and-multi-env`, targets `test` and `prod`,
 * `context: default`, `prune: true`, `interval: 10m`, `timeout: 2m`, namespace `kluctl-system`), applied
 * verbatim but for the Git URL, which points at the test Git server. First the real
 * `kluctl controller run` reconciles them, then (after its objects are gone) our runner
 * (`kluctl-serverless run --once`) on the same cluster. Both must deploy without errors, the workloads
 * get ready through kwok (hostPath volumes stand in for a provisioner so the redis pods can be
 * scheduled; nothing serves the frontend's LoadBalancer), and after a validate request on the settled
 * cluster both end with the same status, drift detection and the request's result included. The Bitnami redis chart is not downloaded: the example keeps
 * it pre-pulled in `.helm-charts`, which both tools use.
 */
import { cp, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KluctlDeployment } from '../../lib/api/types.js';
import { cli } from '../support/cli.js';
import { getKluctlDeployment } from '../support/kluctl-deployment.js';
import { git } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { eventually, installCrds, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';
import { extractExamples } from '../../devenv/reference-kluctl.js';
import { normalizeValue } from './status-compare.js';

const TIMEOUT = 1_200_000;
const NAMESPACE = 'kluctl-system';
const TARGETS = ['test', 'prod'] as const;
const NAMES = TARGETS.map((t) => `microservices-demo-${t}`);

/** The two KluctlDeployments exactly as Kluctl's GitOps docs print them (docs/gitops/README.md). */
const DOCS_MANIFESTS = `
apiVersion: gitops.kluctl.io/v1beta1
kind: KluctlDeployment
metadata:
  name: microservices-demo-test
  namespace: kluctl-system
spec:
  interval: 10m
  source:
    git:
      url: https://github.com/kluctl/kluctl-examples.git
      path: "./microservices-demo/3-templating-and-multi-env/"
  timeout: 2m
  target: test
  context: default
  prune: true
---
apiVersion: gitops.kluctl.io/v1beta1
kind: KluctlDeployment
metadata:
  name: microservices-demo-prod
  namespace: kluctl-system
spec:
  interval: 10m
  source:
    git:
      url: https://github.com/kluctl/kluctl-examples.git
      path: "./microservices-demo/3-templating-and-multi-env/"
  timeout: 2m
  target: prod
  context: default
  prune: true
`;

let server: GitServer;
let repoUrl: string;
let stateDir: string;

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  repoUrl = await pushExamples(server);
  stateDir = await mkdtemp(join(testEnv().runDir, 'seed-state-'));
  await kubectlTest(['create', 'namespace', NAMESPACE]);
}, TIMEOUT);

afterAll(async () => {
  await removeDeployments();
  await kubectlTest(['delete', 'persistentvolume', '-l', 'parity-seed=true', '--wait=false']);
  await server?.stop();
});

test(
  "the GitOps docs example reaches the same status with Kluctl's controller and with our runner",
  async () => {
    // 1. Kluctl's controller deploys, then validates the settled cluster on request.
    await createVolumes('kluctl');
    await applyDocsDeployments();
    const controller = await startKluctlController(NAMESPACE, { dryRun: false });
    let kluctl: Record<string, unknown>;
    try {
      for (const name of NAMES) await waitReconciled(controller, { namespace: NAMESPACE, name }, 1, 600_000);
      await workloadsSettled();
      await requestValidate();
      // The request is one reconcile, the full reconcile it triggers the next.
      for (const name of NAMES) await waitReconciled(controller, { namespace: NAMESPACE, name }, 3, 300_000);
      kluctl = await statuses();
    } finally {
      await controller.stop();
    }
    await removeDeployments();

    // 2. Our runner, on the same cluster once Kluctl's objects are gone.
    await createVolumes('ours');
    await applyDocsDeployments();
    await runOnce();
    for (const name of NAMES) {
      const kd = await readKd(name);
      expect({ name, errors: kd.status?.lastDeployResult?.errors ?? [] }).toEqual({ name, errors: [] });
    }
    await workloadsSettled();
    // The same validate request, served by the next pass of our runner.
    await requestValidate();
    await runOnce();
    const ours = await statuses();

    expect(ours).toEqual(kluctl);
    for (const name of NAMES) {
      const status = (kluctl[name] as { status: Record<string, unknown> }).status;
      // What is left after the cluster settled: the frontend's LoadBalancer, which nothing serves here.
      expect(status.lastValidateResult).toMatchObject({
        errors: [{ ref: { kind: 'Service', name: 'frontend-external' }, message: 'Not ready' }],
      });
    }
  },
  TIMEOUT,
);

/** The kluctl-examples tree as one commit of a repository on the test Git server; returns its URL. */
async function pushExamples(gitServer: GitServer): Promise<string> {
  const dir = await mkdtemp(join(testEnv().runDir, 'kluctl-examples-'));
  const work = await extractExamples(dir);
  await git(gitServer.root, ['init', '-q', '--bare', '--initial-branch=main', 'kluctl-examples.git']);
  const copy = await mkdtemp(join(testEnv().runDir, 'kluctl-examples-work-'));
  await cp(work, copy, { recursive: true });
  await git(copy, ['init', '-q', '--initial-branch=main']);
  await git(copy, ['add', '--all']);
  await git(copy, ['commit', '-qm', 'kluctl-examples 8dcccb8']);
  await git(copy, ['push', '-q', gitServer.url('kluctl-examples'), 'HEAD:refs/heads/main']);
  return gitServer.url('kluctl-examples');
}

/** Applies the docs' manifests with only the Git URL changed. */
async function applyDocsDeployments(): Promise<void> {
  const manifests = DOCS_MANIFESTS.replaceAll('https://github.com/kluctl/kluctl-examples.git', repoUrl);
  expect(parseAllDocuments(manifests)).toHaveLength(2);
  const r = await kubectlTest(['apply', '-f', '-'], { input: manifests });
  if (r.code !== 0) throw new Error(`applying the docs' KluctlDeployments failed: ${r.stderr}`);
}

/**
 * Three 8Gi hostPath volumes per target for the redis StatefulSet's claims (the test cluster has no
 * provisioner); without them its pods could never be scheduled.
 */
async function createVolumes(phase: string): Promise<void> {
  const items = Array.from({ length: 6 }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: `seed-${phase}-${i}`, labels: { 'parity-seed': 'true' } },
    spec: {
      capacity: { storage: '8Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: `/tmp/seed-${phase}-${i}` },
    },
  }));
  const r = await kubectlTest(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
  if (r.code !== 0) throw new Error(`creating volumes failed: ${r.stderr}`);
}

/** Waits until every Deployment and the redis StatefulSet of both targets is ready. */
async function workloadsSettled(): Promise<void> {
  await eventually(
    async () => {
      for (const t of TARGETS) {
        const ns = `ms-demo-${t}`;
        type Workload = {
          metadata: { name: string };
          spec: { replicas?: number };
          status?: { readyReplicas?: number };
        };
        const list = await kubectlJson<{ items: Workload[] }>(['get', 'deployments,statefulsets', '-n', ns]);
        expect(list.items.length).toBeGreaterThan(0);
        const notReady = list.items
          .filter((w) => (w.status?.readyReplicas ?? 0) !== (w.spec.replicas ?? 1))
          .map((w) => w.metadata.name);
        expect({ ns, notReady }).toEqual({ ns, notReady: [] });
      }
    },
    { timeoutMs: 300_000, intervalMs: 2000 },
  );
}

/** Asks for a validation of each deployment, as `kluctl gitops validate` does (a request annotation). */
async function requestValidate(): Promise<void> {
  for (const name of NAMES) {
    // The same value on both sides: each side's deployments are new objects.
    const request = JSON.stringify({ requestValue: 'validate-settled' });
    const r = await kubectlTest([
      'annotate',
      '--overwrite',
      'kluctldeployment',
      name,
      '-n',
      NAMESPACE,
      `kluctl.io/request-validate=${request}`,
    ]);
    if (r.code !== 0) throw new Error(`annotating ${name} failed: ${r.stderr}`);
  }
}

/** One pass of our runner over the namespace (`kluctl-serverless run --once`). */
async function runOnce(): Promise<void> {
  const run = await cli([
    'run',
    '--once',
    '--namespace',
    NAMESPACE,
    '--kubeconfig',
    testEnv().kubeconfigPath,
    '--state-dir',
    stateDir,
  ]);
  if (run.code !== 0) throw new Error(`run --once failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
}

const readKd = (name: string): Promise<KluctlDeployment> => getKluctlDeployment(NAMESPACE, name);

/** The status of both deployments, comparable across the two runs (drift and the validate request's result included). */
async function statuses(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of NAMES) {
    const kd = await readKd(name);
    const status = { ...(kd.status as Record<string, unknown>) };
    out[name] = {
      generation: kd.metadata.generation,
      status: normalizeValue(status, {}),
      hash: kd.status?.lastObjectsHash,
    };
  }
  return out;
}

/** Deletes both KluctlDeployments (their finalizers, without `delete: true`, keep the objects) and the namespaces. */
async function removeDeployments(): Promise<void> {
  for (const name of NAMES) {
    await kubectlTest([
      'patch',
      'kluctldeployment',
      name,
      '-n',
      NAMESPACE,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await kubectlTest(['delete', 'kluctldeployment', name, '-n', NAMESPACE, '--ignore-not-found']);
  }
  for (const t of TARGETS)
    await kubectlTest(['delete', 'namespace', `ms-demo-${t}`, '--ignore-not-found', '--timeout=300s']);
}
