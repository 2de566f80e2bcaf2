/**
 * Controller parity: the same KluctlDeployments, reconciled by the real `kluctl controller run`
 * (v2.28.2) in one namespace and by our local runner (`kluctl-serverless run --once`) in another, on the
 * same test cluster, end with the same status: conditions (type, status, reason, message), the
 * `lastDeployResult` summary, `lastValidateResult`, `lastPrepareError`, the drift detection result and
 * message, keys and generations. Each side
 * deploys into its own target namespaces (the `namespace` arg), and only one controller acts on a
 * KluctlDeployment at a time. Covered: a good project (with validation on, off, and suspended), prepare
 * failures (a broken item, two broken items, a broken `.kluctl.yml`), not-ready workloads, objects the
 * API server rejects, deploys without discriminator, pruning, a prune the cluster refuses, and orphans.
 * Finally the two controllers swap deployments: neither deploys again, since the objects hash each
 * computes equals the other's `lastObjectsHash`.
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { cli } from '../support/cli.js';
import { applyKluctlDeployment, getKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import { createRepo } from '../../devenv/git-repo.js';
import type { TestRepo } from '../../devenv/git-repo.js';
import { startGitServer } from '../../devenv/git-server.js';
import type { GitServer } from '../../devenv/git-server.js';
import { createTestNamespace, installCrds, kubectlTest, testEnv } from '../support/test-env.js';
import {
  brokenProjects,
  configMap,
  deployErrorsProject,
  goodProject,
  kluctlYml,
  notReadyProject,
  pruneProject,
} from './controller-projects.js';
import { startKluctlController, waitReconciled } from './kluctl-controller.js';
import { normalizeStatus } from './status-compare.js';

const TIMEOUT = 900_000;

/** One KluctlDeployment of the suite (the same name on both sides). */
interface Case {
  readonly name: string;
  readonly repo: string;
  readonly path?: string;
  readonly spec?: Record<string, unknown>;
}

const PROTECT_LABEL = `parity-protect-${Date.now()}`;

const CASES: readonly Case[] = [
  { name: 'good', repo: 'good' },
  { name: 'good-novalidate', repo: 'good', spec: { validate: false } },
  { name: 'suspended', repo: 'good', spec: { suspend: true } },
  { name: 'broken-one', repo: 'broken', path: 'one' },
  { name: 'broken-two', repo: 'broken', path: 'two' },
  { name: 'broken-config', repo: 'broken', path: './config/' },
  { name: 'not-ready', repo: 'not-ready' },
  { name: 'deploy-errors', repo: 'deploy-errors' },
  { name: 'errors-novalidate', repo: 'deploy-errors', spec: { validate: false } },
  { name: 'no-discriminator', repo: 'no-discriminator' },
  { name: 'no-discriminator-noprune', repo: 'no-discriminator', spec: { prune: false } },
  { name: 'prune', repo: 'prune' },
  { name: 'orphan', repo: 'prune', spec: { prune: false } },
  { name: 'prune-refused', repo: 'prune-refused' },
];

let server: GitServer;
const repos = new Map<string, TestRepo>();
let nsKluctl: string;
let nsOurs: string;
let stateDir: string;
/** Target namespace of each case, per side. */
const targets = { kluctl: new Map<string, string>(), ours: new Map<string, string>() };

beforeAll(async () => {
  await installCrds();
  server = await startGitServer();
  const projects: Record<string, Record<string, string>> = {
    good: goodProject('parity-good'),
    broken: brokenProjects(),
    'not-ready': notReadyProject('parity-not-ready'),
    'deploy-errors': deployErrorsProject('parity-deploy-errors'),
    'no-discriminator': { ...goodProject(''), '.kluctl.yml': kluctlYml(undefined) },
    prune: pruneProject('parity-prune'),
    'prune-refused': pruneProject('parity-prune-refused', `${PROTECT_LABEL}: "yes"`),
  };
  for (const [name, files] of Object.entries(projects))
    repos.set(name, await createRepo(server, `parity-${name}`, files));
  nsKluctl = await createTestNamespace('parity-kluctl');
  nsOurs = await createTestNamespace('parity-ours');
  stateDir = await mkdtemp(join(testEnv().runDir, 'parity-state-'));
  await refuseDeletion(PROTECT_LABEL);
  for (const c of CASES) {
    for (const side of ['kluctl', 'ours'] as const) {
      const target = await createTestNamespace(`p${side[0]}-${c.name}`);
      targets[side].set(c.name, target);
      await applyKd(side === 'kluctl' ? nsKluctl : nsOurs, c, target);
    }
  }
}, TIMEOUT);

afterAll(async () => {
  // Finalizers would keep the namespaces of an existing cluster from going away.
  for (const ns of [nsKluctl, nsOurs].filter(Boolean)) {
    for (const c of CASES)
      await kubectlTest([
        'patch',
        'kluctldeployment',
        c.name,
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
  }
  await kubectlTest(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', PROTECT_LABEL]);
  await server?.stop();
  for (const r of repos.values()) await r.cleanup();
});

test(
  'first reconcile: both controllers end with the same status',
  async () => {
    await reconcileWithKluctl(nsKluctl, CASES);
    await reconcileWithOurs(nsOurs);
    // The validation of freshly created workloads depends on how far their controllers got; the second
    // reconcile (below) compares them once they settled.
    await expectSameStatus(CASES.filter((c) => c.name !== 'not-ready'));
  },
  TIMEOUT,
);

test(
  'second commit: redeploy, prune, a refused prune, orphans and settled workloads',
  async () => {
    await repos.get('not-ready')!.commit({ 'workloads/extra.yaml': configMap('extra') }, 'one more object');
    await repos.get('prune')!.commit({ 'cms/cm2.yaml': null }, 'drop cm2');
    await repos.get('prune-refused')!.commit({ 'cms/cm2.yaml': null }, 'drop cm2');
    await reconcileWithKluctl(nsKluctl, CASES);
    await reconcileWithOurs(nsOurs);
    await expectSameStatus(CASES);
  },
  TIMEOUT,
);

test(
  'handover: neither controller redeploys what the other deployed',
  async () => {
    const before = {
      kluctl: await deployIds(nsKluctl),
      ours: await deployIds(nsOurs),
    };
    // Each side's deployments go to the other controller.
    await reconcileWithOurs(nsKluctl);
    await reconcileWithKluctl(nsOurs, CASES);
    expect(await deployIds(nsKluctl)).toEqual(before.kluctl);
    expect(await deployIds(nsOurs)).toEqual(before.ours);
  },
  TIMEOUT,
);

test(
  'validation switched on while suspended: Validation status unknown, also after deploy errors',
  async () => {
    for (const ns of [nsKluctl, nsOurs]) {
      const patch = JSON.stringify({ spec: { validate: true, suspend: true } });
      const r = await kubectlTest([
        'patch',
        'kluctldeployment',
        'errors-novalidate',
        '-n',
        ns,
        '--type=merge',
        '-p',
        patch,
      ]);
      expect(r.code).toBe(0);
    }
    await reconcileWithKluctl(nsKluctl, CASES);
    await reconcileWithOurs(nsOurs);
    const c = CASES.filter((x) => x.name === 'errors-novalidate');
    await expectSameStatus(c);
    expect((await readyLines(nsKluctl))['errors-novalidate']).toBe(
      'False ValidateFailed: deploy failed with 2 errors. 1 new objects. Validation status unknown.',
    );
  },
  TIMEOUT,
);

/** `status reason: message` of the Ready condition of every case in `namespace`. */
async function readyLines(namespace: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of CASES) {
    const ready = readyCondition(await getKluctlDeployment(namespace, c.name));
    out[c.name] = `${ready?.status} ${ready?.reason}: ${ready?.message}`;
  }
  return out;
}

async function applyKd(namespace: string, c: Case, target: string): Promise<void> {
  const repo = repos.get(c.repo)!;
  await applyKluctlDeployment(namespace, c.name, {
    interval: '10m',
    timeout: '2m',
    source: { git: { url: repo.url, ...(c.path ? { path: c.path } : {}) } },
    target: 'test',
    context: 'default',
    prune: true,
    args: { namespace: target },
    ...c.spec,
  });
}

/** Starts Kluctl's controller on `namespace`, waits until it reconciled every case once, stops it. */
async function reconcileWithKluctl(namespace: string, cases: readonly Case[]): Promise<void> {
  const ctl = await startKluctlController(namespace, { dryRun: false });
  try {
    for (const c of cases) await waitReconciled(ctl, { namespace, name: c.name }, 1, 300_000);
  } finally {
    await ctl.stop();
  }
}

/** `kluctl-serverless run --once` on `namespace`. */
async function reconcileWithOurs(namespace: string): Promise<void> {
  const r = await cli([
    'run',
    '--once',
    '--namespace',
    namespace,
    '--kubeconfig',
    testEnv().kubeconfigPath,
    '--context',
    'default',
    '--state-dir',
    stateDir,
  ]);
  if (r.code !== 0) throw new Error(`run --once failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

/** The status of each case on both sides, normalized, side by side for one diff. */
async function expectSameStatus(cases: readonly Case[]): Promise<void> {
  const side = async (which: 'kluctl' | 'ours') => {
    const ns = which === 'kluctl' ? nsKluctl : nsOurs;
    const out: Record<string, unknown> = {};
    for (const c of cases) {
      const kd = await getKluctlDeployment(ns, c.name);
      out[c.name] = {
        generation: kd.metadata.generation,
        finalizers: kd.metadata.finalizers,
        status: normalizeStatus(kd.status, {
          [ns]: '<kd-namespace>',
          [targets[which].get(c.name)!]: '<target-namespace>',
        }),
      };
    }
    return out;
  };
  expect(await side('ours')).toEqual(await side('kluctl'));
}

/** The `lastDeployResult` id and objects hash of every deployed case (prepare failures have none). */
async function deployIds(namespace: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const c of CASES) {
    const kd = await getKluctlDeployment(namespace, c.name);
    out[c.name] = { deploy: kd.status?.lastDeployResult?.id, hash: kd.status?.lastObjectsHash };
  }
  return out;
}

/**
 * A ValidatingAdmissionPolicy that refuses to delete ConfigMaps labelled `label`, so a prune fails the
 * way it does on a real cluster with policies. Waits until the API server enforces it.
 */
async function refuseDeletion(label: string): Promise<void> {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: label },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['DELETE'], resources: ['configmaps'] },
        ],
      },
      validations: [
        {
          expression: `!has(oldObject.metadata.labels) || !('${label}' in oldObject.metadata.labels)`,
          message: 'this ConfigMap is protected',
        },
      ],
    },
  };
  const binding = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: label },
    spec: { policyName: label, validationActions: ['Deny'] },
  };
  const r = await kubectlTest(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }),
  });
  if (r.code !== 0) throw new Error(`could not create the admission policy: ${r.stderr}`);
  const probeNs = await createTestNamespace('parity-policy');
  const probe = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'probe', namespace: probeNs, labels: { [label]: 'yes' } },
  };
  await kubectlTest(['apply', '-f', '-'], { input: JSON.stringify(probe) });
  for (let i = 0; ; i++) {
    const del = await kubectlTest(['delete', 'configmap', 'probe', '-n', probeNs, '--dry-run=server']);
    if (del.code !== 0 && /protected/.test(del.stderr)) return;
    if (i > 100) throw new Error(`the admission policy is not enforced: ${del.stdout} ${del.stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}
