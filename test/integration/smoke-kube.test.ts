// Smoke test of the test environment's API server: the pinned version answers, and server-side apply
// records the field manager and operation that Kluctl's deploys rely on (managedFields).
import { createTestNamespace, installCrds, kubectlJson, kubectlTest } from '../support/test-env.js';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
}

describe('test API server', () => {
  it('reports the pinned Kubernetes version', async () => {
    const version = await kubectlJson<{ serverVersion?: { gitVersion?: string } }>(['version']);
    expect(version.serverVersion?.gitVersion).toBe('v1.34.4');
  });

  it('records server-side apply by field manager kluctl as an Apply operation', async () => {
    const ns = await createTestNamespace('smoke-kube');
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'smoke', namespace: ns },
      data: { greeting: 'hello' },
    };
    const applied = await kubectlTest(['apply', '--server-side', '--field-manager=kluctl', '-f', '-'], {
      input: JSON.stringify(configMap),
    });
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);

    const read = await kubectlJson<{
      data?: Record<string, string>;
      metadata: { managedFields?: ManagedFieldsEntry[] };
    }>(['get', 'configmap', 'smoke', '-n', ns, '--show-managed-fields']);
    expect(read.data).toEqual({ greeting: 'hello' });
    const managers = (read.metadata.managedFields ?? []).map((m) => ({
      manager: m.manager,
      operation: m.operation,
    }));
    expect(managers).toEqual([{ manager: 'kluctl', operation: 'Apply' }]);
  });

  it('installs the repository CRDs idempotently, and they become Established', async () => {
    await installCrds();
    await installCrds();
    const crd = await kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
      'get',
      'crd',
      'kluctldeployments.gitops.kluctl.io',
    ]);
    expect(crd.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Established', status: 'True' }),
    );
  });
});
