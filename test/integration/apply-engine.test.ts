/**
 * The apply engine against the real API server (kluctl-semantics §7.6): field-manager conflicts
 * (Kluctl's e2e gitops_fieldmanager_test and TestForceApply), replace paths (TestReplaceOnError,
 * TestForceReplaceSkipDelete) and the dry-run simulation of namespaces and CRDs (TestDeployCRDBarrier,
 * TestDiffCRDSimulated). Foreign field managers are created with kubectl's `--field-manager`.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { deployProject } from '../../lib/deploy/deploy-project.js';
import type { DeployOptions } from '../../lib/deploy/deploy-types.js';
import type { KubeObject } from '../../lib/ports.js';
import { createTestNamespace, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  ns = await createTestNamespace('apply');
});
afterAll(() => kube?.close());

const disc = (): string => `apply-${ns}`;

function cm(name: string, data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { 'kluctl.io/discriminator': disc() } },
    data,
    ...extra,
  };
}

function deploy(objects: KubeObject[], opts: DeployOptions = {}, conflictResolution?: unknown[]) {
  return deployProject(
    kube,
    {
      discriminator: disc(),
      items: [{ dir: 'a', barrier: false, objects, ...(conflictResolution ? { conflictResolution } : {}) }],
    },
    { noWait: true, ...opts },
  );
}

async function liveData(name: string): Promise<Record<string, string>> {
  return (await kubectlJson<{ data: Record<string, string> }>(['get', 'configmap', name, '-n', ns])).data;
}

async function kubectlOk(args: string[], input?: string): Promise<void> {
  const r = await kubectlTest(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/** Applies `data` to a ConfigMap as another field manager, taking the fields over. */
async function applyAs(manager: string, name: string, data: Record<string, string>): Promise<void> {
  const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data };
  await kubectlOk(
    ['apply', '--server-side', '--force-conflicts', `--field-manager=${manager}`, '-f', '-'],
    JSON.stringify(obj),
  );
}

describe('field manager conflicts (gitops_fieldmanager_test)', () => {
  test('fields changed with kubectl are overwritten, extra keys are kept', async () => {
    expect((await deploy([cm('fm-kubectl', { a: '1' })])).errors).toEqual([]);
    await kubectlOk(['patch', 'configmap', 'fm-kubectl', '-n', ns, '-p', '{"data":{"a":"2","extra":"x"}}']);
    const out = await deploy([cm('fm-kubectl', { a: '1' })]);
    expect(out.errors).toEqual([]);
    expect(out.warnings).toEqual([]);
    expect(await liveData('fm-kubectl')).toEqual({ a: '1', extra: 'x' });
  });

  test('fields taken over by a foreign manager are kept with a warning, overwritten with forceApply', async () => {
    await deploy([cm('fm-foreign', { a: '1', b: '1' })]);
    await applyAs('other-controller', 'fm-foreign', { a: '3' });
    const out = await deploy([cm('fm-foreign', { a: '1', b: '2' })]);
    expect(out.errors).toEqual([]);
    expect(out.warnings.map((w) => w.message)).toEqual([
      `conflict with "other-controller". Not updating field '.data.a' as we lost field ownership`,
    ]);
    expect(await liveData('fm-foreign')).toEqual({ a: '3', b: '2' });
    const forced = await deploy([cm('fm-foreign', { a: '1', b: '2' })], { forceApply: true });
    expect(forced.warnings).toEqual([]);
    expect(await liveData('fm-foreign')).toEqual({ a: '1', b: '2' });
  });

  test('TestForceApply: kluctl.io/force-apply overwrites, ignore-conflicts keeps silently', async () => {
    const ann = (a: Record<string, string>): Partial<KubeObject> => ({
      metadata: {
        name: 'fm-ann',
        namespace: ns,
        labels: { 'kluctl.io/discriminator': disc() },
        annotations: a,
      },
    });
    await deploy([cm('fm-ann', { a: '1', b: '1' })]);
    await applyAs('other', 'fm-ann', { a: '3', b: '3' });
    const ignored = await deploy([
      cm('fm-ann', { a: '1', b: '1' }, ann({ 'kluctl.io/ignore-conflicts': 'true' })),
    ]);
    expect(ignored.errors).toEqual([]);
    expect(ignored.warnings).toEqual([]);
    expect(await liveData('fm-ann')).toEqual({ a: '3', b: '3' });
    const forced = await deploy([
      cm(
        'fm-ann',
        { a: '1', b: '1' },
        ann({ 'kluctl.io/force-apply': 'true', 'kluctl.io/ignore-conflicts-field': 'data.b' }),
      ),
    ]);
    expect(forced.warnings).toEqual([]);
    expect(await liveData('fm-ann')).toEqual({ a: '1', b: '3' });
  });

  test('project conflictResolution rules force-apply by manager', async () => {
    await deploy([cm('fm-rules', { a: '1' })]);
    await applyAs('some-operator', 'fm-rules', { a: '5' });
    const out = await deploy([cm('fm-rules', { a: '1' })], {}, [
      { manager: '^some-', action: 'force-apply' },
    ]);
    expect(out.warnings).toEqual([]);
    expect(await liveData('fm-rules')).toEqual({ a: '1' });
    const bad = await deploy([cm('fm-rules', { a: '1' })], {}, [{ manager: 'x', action: 'nope' }]);
    expect(bad.errors[0]?.message).toMatch(/^conflictResolution\[0\]: action must be/);
  });
});

describe('replace on error', () => {
  // An immutable ConfigMap cannot be patched nor replaced with new data: only delete + create helps.
  const immutable = (name: string, v: string, annotations: Record<string, string> = {}): KubeObject =>
    cm(name, { v }, {
      immutable: true,
      metadata: { name, namespace: ns, labels: { 'kluctl.io/discriminator': disc() }, annotations },
    } as Partial<KubeObject>);

  test('TestReplaceOnError: replace is tried and reported, force-replace re-creates', async () => {
    await deploy([immutable('imm', '1')]);
    const replaced = await deploy([immutable('imm', '2')], { replaceOnError: true });
    expect(replaced.warnings.map((w) => w.message)).toEqual([
      `patching ${ns}/ConfigMap/imm failed, retrying with replace instead of patch`,
    ]);
    expect(replaced.errors).toHaveLength(1);
    const forced = await deploy([immutable('imm', '2')], { forceReplaceOnError: true });
    expect(forced.errors).toEqual([]);
    expect(forced.warnings.map((w) => w.message)).toEqual([
      `patching ${ns}/ConfigMap/imm failed, retrying with replace instead of patch`,
      `patching ${ns}/ConfigMap/imm failed, retrying by deleting and re-applying`,
    ]);
    expect(await liveData('imm')).toEqual({ v: '2' });
  });

  test('TestForceReplaceSkipDelete: kluctl.io/skip-delete blocks delete and re-create', async () => {
    const skip = { 'kluctl.io/skip-delete': 'true' };
    await deploy([immutable('imm-skip', '1', skip)]);
    const out = await deploy([immutable('imm-skip', '2', skip)], { forceReplaceOnError: true });
    expect(out.warnings.map((w) => w.message)).toContain(
      `skipped forced replace of ${ns}/ConfigMap/imm-skip`,
    );
    expect(out.errors).toHaveLength(1);
    expect(await liveData('imm-skip')).toEqual({ v: '1' });
  });
});

describe('dry run simulation', () => {
  const crd = (group: string): KubeObject => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });

  test('objects in a namespace created by the same dry run are simulated in default and renamed back', async () => {
    const newNs = `${ns}-dry`;
    const nsObj: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: newNs } };
    const obj = cm('in-new-ns', { a: '1' });
    obj.metadata.namespace = newNs;
    const out = await deploy([nsObj, obj], { dryRun: true });
    expect(out.errors).toEqual([]);
    const applied = out.objects.find((o) => o.ref.name === 'in-new-ns')?.applied;
    expect(applied?.metadata).toMatchObject({ name: 'in-new-ns', namespace: newNs });
    expect((await kubectlTest(['get', 'namespace', newNs])).code).not.toBe(0);
  });

  test('TestDiffCRDSimulated: custom resources of a CRD applied in the same dry run pretend success', async () => {
    const group = `dry${ns.replace(/-/g, '')}.example.com`;
    const cr: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
    };
    const out = await deploy([crd(group), cr], { dryRun: true });
    expect(out.errors).toEqual([]);
    expect(out.warnings.map((w) => w.message)).toEqual([
      `the underyling custom resource definition for ${ns}/Widget/w1 has not been applied yet as Kluctl is running in dry-run mode. It is not guaranteed that the object will actually sucessfully apply`,
    ]);
    expect(out.objects.find((o) => o.ref.kind === 'Widget')?.new).toBe(true);
    expect((await kubectlTest(['get', 'crd', `widgets.${group}`])).code).not.toBe(0);
  });

  test('TestDeployCRDBarrier: a real deploy applies the CRD first and then its custom resources', async () => {
    const group = `real${ns.replace(/-/g, '')}.example.com`;
    const cr: KubeObject = {
      apiVersion: `${group}/v1`,
      kind: 'Widget',
      metadata: { name: 'w1', namespace: ns },
    };
    const out = await deployProject(
      kube,
      {
        discriminator: disc(),
        items: [
          { dir: 'crds', barrier: true, objects: [crd(group)] },
          { dir: 'crs', barrier: false, objects: [cr] },
        ],
      },
      { noWait: true },
    );
    expect(out.errors).toEqual([]);
    expect((await kubectlTest(['get', `widgets.${group}`, 'w1', '-n', ns])).code).toBe(0);
    await kubectlTest(['delete', 'crd', `widgets.${group}`, '--wait=false']);
  });
});
