/**
 * Target cluster, identity and context of KluctlDeployments, side by side with Kluctl's own controller
 * (`kluctl controller run` of v2.28.2) on the same API server and project: each case is applied once in
 * a namespace the reference controller watches and once in a namespace our reconcile handles, and the
 * outcomes are compared after the namespace names are made equal. Cases: `spec.context` and target
 * contexts (gitops_errors_test "invalid context"), `spec.kubeConfig` key lookup and errors, a
 * kubeconfig whose only context is not `default`, and deploys as a kubeconfig user and as an
 * impersonated service account whose RBAC refuses part of the project.
 * Known difference, not compared here: an account that may not read the cluster id makes Kluctl report
 * only "deployment status unknown"; we report the API's message as a prepare error.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { createTestNamespace, eventually, restrictedKubeconfig } from '../support/test-env.js';
import { kluctlDeploymentRef, readyCondition } from '../support/kluctl-deployment.js';
import { grantNamespace, kubectlApply, startIdentityScenario } from '../support/identity-scenario.js';
import type { IdentityScenario } from '../support/identity-scenario.js';
import { startKluctlController } from './kluctl-controller.js';

/** A reference reconcile takes seconds; a case runs both sides. */
const CASE_TIMEOUT_MS = 180_000;

let s: IdentityScenario;
let controller: ManagedProcess;
const ref = { ns: '', other: '' };
const ours = { ns: '', other: '' };
let user: string;

beforeAll(async () => {
  s = await startIdentityScenario();
  Object.assign(ref, await s.namespaces('par-ref'));
  Object.assign(ours, await s.namespaces('par-our'));
  user = `par-user-${randomBytes(4).toString('hex')}`;
  const doc = parse(await readFile(await restrictedKubeconfig(user), 'utf8')) as Record<string, unknown> & {
    contexts: { name: string }[];
  };
  doc.contexts[0]!.name = 'restricted';
  doc['current-context'] = 'restricted';
  const kubeconfig = stringify(doc);
  for (const where of [ref, ours]) {
    await grantNamespace({ kind: 'User', name: user }, where.ns);
    await grantNamespace({ kind: 'ServiceAccount', name: 'deployer', namespace: where.ns }, where.ns);
    const secrets = {
      kc: { value: kubeconfig },
      nokey: { other: kubeconfig },
      kcyaml: { 'value.yaml': kubeconfig },
    };
    await kubectlApply(
      Object.entries(secrets).map(([name, stringData]) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: where.ns },
        stringData,
      })),
    );
  }
  const controllerNs = await createTestNamespace('par-ctrl');
  const resultsNs = await createTestNamespace('par-results');
  controller = await startKluctlController(ref.ns, {
    dryRun: false,
    controllerNamespace: controllerNs,
    extraArgs: ['--controller-name', `kluctl-controller-${ref.ns}`, '--command-result-namespace', resultsNs],
  });
}, CASE_TIMEOUT_MS);

afterAll(async () => {
  await controller?.stop();
  await s?.stop();
});

/** What is compared: the outcome with our namespace names in place of the reference's. */
interface Observed {
  readonly reason?: string;
  readonly prepareMessage?: string;
  readonly lastPrepareError?: string;
  readonly deployErrors?: readonly string[];
  readonly targetContext?: string;
}

function observe(
  kd: KluctlDeployment | undefined,
  cm: Record<string, unknown> | undefined,
  where: typeof ref,
): Observed {
  const norm = (t: string) => t.split(where.other).join('OTHER').split(where.ns).join('NS');
  const ready = readyCondition(kd);
  const st = kd?.status;
  return {
    reason: ready?.reason,
    ...(ready?.reason === 'PrepareFailed' ? { prepareMessage: ready.message } : {}),
    ...(st?.lastPrepareError ? { lastPrepareError: norm(st.lastPrepareError) } : {}),
    // Which objects failed and why; the message prefix differs (`failed to patch <ref>:` in Kluctl).
    deployErrors: (st?.lastDeployResult?.errors ?? []).map(
      (e) =>
        `${e.ref.kind}/${norm(e.ref.namespace ?? '')}/${e.ref.name}: ${norm(e.message.replace(/^.*?: (?=\w+ "\w+" is forbidden)/, ''))}`,
    ),
    ...(cm ? { targetContext: (cm.data as Record<string, string>).targetContext } : {}),
  };
}

async function referenceRun(name: string, spec: Record<string, unknown>): Promise<Observed> {
  await s.apply(ref, name, spec);
  const kd = await eventually(
    async () => {
      const got = (await s.admin.get(kluctlDeploymentRef(ref.ns, name))) as KluctlDeployment | undefined;
      const ready = readyCondition(got);
      if (
        !got ||
        got.status?.observedGeneration !== got.metadata.generation ||
        !ready ||
        ready.reason === 'Progressing'
      )
        throw new Error(`reference controller has not finished ${name}: ${JSON.stringify(got?.status)}`);
      return got;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return observe(kd, await s.configMap(ref.ns, 'cm'), ref);
}

async function ourRun(name: string, spec: Record<string, unknown>): Promise<Observed> {
  await s.apply(ours, name, spec);
  const { kd } = await s.reconcile(ours.ns, name);
  return observe(kd, await s.configMap(ours.ns, 'cm'), ours);
}

// Cases that fail before deploying come first, so `cm` exists in neither namespace until the deploys.
test.each<[string, Record<string, unknown>]>([
  ['spec.context naming no context', { context: 'invalid' }],
  ["a target's context other than default", { target: 't-foo' }],
  ['a missing kubeConfig Secret', { kubeConfig: { secretRef: { name: 'missing' } } }],
  ['a kubeConfig Secret without value or value.yaml', { kubeConfig: { secretRef: { name: 'nokey' } } }],
  ['a missing explicit key', { kubeConfig: { secretRef: { name: 'nokey', key: 'foo' } } }],
  ["the kubeconfig's own context name", { kubeConfig: { secretRef: { name: 'kc' } }, context: 'restricted' }],
  [
    'a missing target and a missing Secret',
    { target: 'nope', kubeConfig: { secretRef: { name: 'missing' } } },
  ],
  ['a kubeconfig user refused in one namespace', { kubeConfig: { secretRef: { name: 'kc' } } }],
  ['the value.yaml key', { kubeConfig: { secretRef: { name: 'kcyaml' } } }],
  ['an impersonated service account refused in one namespace', { serviceAccountName: 'deployer' }],
  ['spec.context default over a target context', { target: 't-foo', context: 'default' }],
])(
  'same as Kluctl: %s',
  async (_name, spec) => {
    const name = `p-${randomBytes(3).toString('hex')}`;
    const [theirs, mine] = await Promise.all([referenceRun(name, spec), ourRun(name, spec)]);
    expect(mine).toEqual(theirs);
  },
  CASE_TIMEOUT_MS,
);
