/**
 * Kluctl's result store on the real API server without the runner's caches, as the functions use it
 * (lib/adapters/kube-secrets-result-store.ts): retention keeps the newest results of each project and
 * target, and a deleted deployment's results go. Both read the results as metadata only
 * (PartialObjectMetadataList), which carries the summary annotation they rank and match by.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { KubeSecretsResultStore } from '../../lib/adapters/kube-secrets-result-store.js';
import type { ValidateResult } from '../../lib/api/types.js';
import { createTestNamespace, kubectlJson, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('results');
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
});

afterAll(() => kube?.close());

const result = (id: string, target: string, second: number, deployment: string): ValidateResult => ({
  id,
  reconcileId: `r-${id}`,
  projectKey: { repoKey: 'git://example.com/repo', subDir: '' },
  targetKey: { targetName: target, clusterId: 'c1' },
  kluctlDeployment: { name: deployment, namespace: 'apps', clusterId: 'c1' },
  startTime: `2026-12-06T10:00:0${second}Z`,
  endTime: `2026-12-06T10:00:0${second}Z`,
  ready: true,
});

async function ids(): Promise<string[]> {
  const l = await kubectlJson<{ items: { metadata: { labels: Record<string, string> } }[] }>([
    'get',
    'secrets',
    '-n',
    ns,
    '-l',
    'kluctl.io/validate-result-id',
  ]);
  return l.items.map((s) => s.metadata.labels['kluctl.io/validate-result-id']!).sort();
}

test('retention keeps the newest results per target; deleting a deployment removes its results only', async () => {
  const store = new KubeSecretsResultStore(kube, { namespace: ns, keepValidateResults: 2 });
  await store.writeValidateResult(result('b1', 'other', 1, 'kd-b'));
  for (const [i, id] of ['a1', 'a2', 'a3'].entries()) {
    await store.writeValidateResult(result(id, 'main', i + 1, 'kd-a'));
  }
  // a1 is the oldest of target main beyond 2; b1 is another target's only result.
  expect(await ids()).toEqual(['a2', 'a3', 'b1']);

  expect(await store.deleteResultsOf({ name: 'kd-a', namespace: 'apps', clusterId: 'c1' })).toBe(2);
  expect(await ids()).toEqual(['b1']);
});
