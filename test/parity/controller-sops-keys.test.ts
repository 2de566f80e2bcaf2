/**
 * `spec.decryption` with PGP and AWS KMS keys, side by side with Kluctl's own controller (v2.28.2) on
 * the same API server and project: a vars file encrypted for a PGP key made by GnuPG and one encrypted
 * for a KMS key in LocalStack (both controllers reach it through AWS_ENDPOINT_URL_KMS), with a
 * decryption Secret holding `identity.asc` and `sops.aws-kms`, and without `spec.decryption`.
 * Not compared: the IRSA role of `decryption.serviceAccount` (Kluctl's controller builds its STS client
 * without the endpoint settings, so it would call AWS itself; ours is proven against LocalStack in
 * test/integration/gitops-sops-keys.test.ts), and `sops.azure-kv`/`sops.gcp-kms`, which we refuse
 * deliberately (no emulator here).
 */
import { stringify } from 'yaml';
import type { KluctlDeployment } from '../../lib/api/types.js';
import type { KubeObject } from '../../lib/ports.js';
import type { ManagedProcess } from '../../devenv/processes.js';
import { kluctlDeploymentRef, applyKluctlDeployment, readyCondition } from '../support/kluctl-deployment.js';
import { reconcileOnce, startProjectScenario, testReconcileDeps } from '../support/reconcile-scenario.js';
import type { ProjectScenario } from '../support/reconcile-scenario.js';
import {
  createKmsKey,
  generatePgpKey,
  localAwsEnv,
  removePgpKey,
  sopsEncrypt,
  testSopsKeySessions,
  type PgpKey,
} from '../support/sops-keys.js';
import { createTestNamespace, eventually, testEnv } from '../support/test-env.js';
import { startKluctlController } from './kluctl-controller.js';

const CASE_TIMEOUT_MS = 180_000;

let s: ProjectScenario;
let pgp: PgpKey | undefined;
let controller: ManagedProcess | undefined;
const ns = { ref: '', ours: '' };

beforeAll(async () => {
  pgp = await generatePgpKey('parity-sops');
  const arn = await createKmsKey('parity-sops-keys');
  const pgpVars = await sopsEncrypt('pgp:\n  value: from-pgp\n', ['--pgp', pgp.fingerprint], {
    GNUPGHOME: pgp.home,
  });
  const kmsVars = await sopsEncrypt('kms:\n  value: from-kms\n', ['--kms', arn], localAwsEnv());
  s = await startProjectScenario({
    name: 'par-sops',
    files: () => ({
      '.kluctl.yml': stringify({ targets: [{ name: 'test' }] }),
      'deployment.yml': stringify({
        vars: [{ file: 'pgp-vars.yaml' }, { file: 'kms-vars.yaml' }],
        deployments: [{ path: 'cm' }],
      }),
      'pgp-vars.yaml': pgpVars,
      'kms-vars.yaml': kmsVars,
      'cm/configmap.yml': stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: '{{ args.ns }}' },
        data: { pgp: '{{ pgp.value }}', kms: '{{ kms.value }}' },
      }),
    }),
  });
  ns.ref = await createTestNamespace('par-sops-ref');
  ns.ours = s.ns;
  for (const where of [ns.ref, ns.ours]) {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sops-keys', namespace: where },
      stringData: {
        'identity.asc': pgp.armoredPrivate,
        'sops.aws-kms': 'aws_access_key_id: test\naws_secret_access_key: test\n',
      },
    };
    await s.kube.create(secret, { fieldManager: 'test' });
  }
  const controllerNs = await createTestNamespace('par-sops-ctrl');
  const endpoint = testEnv().s3.endpoint;
  controller = await startKluctlController(ns.ref, {
    dryRun: false,
    controllerNamespace: controllerNs,
    extraArgs: ['--controller-name', `kluctl-controller-${ns.ref}`],
    env: { AWS_ENDPOINT_URL_KMS: endpoint, AWS_ENDPOINT_URL_STS: endpoint },
  });
}, CASE_TIMEOUT_MS);

afterAll(async () => {
  await controller?.stop();
  await s?.stop();
  await removePgpKey(pgp);
});

/** What is compared: readiness, the prepare error's leading words, and the deployed ConfigMap. */
interface Observed {
  readonly reason?: string;
  readonly prepareError?: string;
  readonly data?: unknown;
}

async function observe(kd: KluctlDeployment | undefined, where: string): Promise<Observed> {
  const cm = await s.kube.get({ group: '', version: 'v1', kind: 'ConfigMap', name: 'cm', namespace: where });
  const err = kd?.status?.lastPrepareError;
  return {
    ...(readyCondition(kd)?.reason ? { reason: readyCondition(kd)?.reason } : {}),
    // sops' own report after the colon differs in layout (one line here, several in Kluctl).
    ...(err ? { prepareError: /cannot get sops data key/.exec(err)?.[0] ?? err } : {}),
    ...(cm ? { data: cm.data } : {}),
  };
}

function specOf(where: string, decryption: boolean): Record<string, unknown> {
  return {
    interval: '1h',
    source: { git: { url: s.repo.url } },
    target: 'test',
    args: { ns: where },
    ...(decryption ? { decryption: { provider: 'sops', secretRef: { name: 'sops-keys' } } } : {}),
  };
}

async function referenceRun(name: string, decryption: boolean): Promise<Observed> {
  await applyKluctlDeployment(ns.ref, name, specOf(ns.ref, decryption));
  const kd = await eventually(
    async () => {
      const got = (await s.kube.get(kluctlDeploymentRef(ns.ref, name))) as KluctlDeployment | undefined;
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
  return observe(kd, ns.ref);
}

async function ourRun(name: string, decryption: boolean): Promise<Observed> {
  await applyKluctlDeployment(ns.ours, name, specOf(ns.ours, decryption));
  const deps = testReconcileDeps({
    kube: s.kube,
    workDir: s.workDir,
    holder: 'par-sops-test',
    sopsWithKeys: testSopsKeySessions(s.workDir),
    serviceAccountTokens: s.kube,
  });
  const { kd } = await reconcileOnce(deps, ns.ours, name);
  return observe(kd, ns.ours);
}

test(
  'without spec.decryption both fail to get the sops data key and deploy nothing',
  async () => {
    const [ref, ours] = [await referenceRun('no-keys', false), await ourRun('no-keys', false)];
    expect(ref).toEqual({ reason: 'PrepareFailed', prepareError: 'cannot get sops data key' });
    expect(ours).toEqual(ref);
  },
  CASE_TIMEOUT_MS,
);

test(
  'with identity.asc and sops.aws-kms both decrypt the PGP and the KMS vars and deploy',
  async () => {
    const [ref, ours] = [await referenceRun('keys', true), await ourRun('keys', true)];
    expect(ref).toEqual({ reason: 'ReconciliationSucceeded', data: { pgp: 'from-pgp', kms: 'from-kms' } });
    expect(ours).toEqual(ref);
  },
  CASE_TIMEOUT_MS,
);
