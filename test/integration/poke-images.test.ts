/**
 * `poke-images` against the real API server (Kluctl's TestPokeImages, kluctl-semantics §7.11): only the
 * images of the named containers change; everything else of the live object stays as it is.
 */
import { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import { pokeImages } from '../../lib/deploy/poke-images.js';
import type { FixedImage } from '../../lib/images/fixed-images.js';
import type { KubeObject } from '../../lib/ports.js';
import { createTestNamespace, kubectlJson, kubectlTest, testEnv } from '../support/test-env.js';

let kube: HttpKubeClient;
let ns: string;

beforeAll(async () => {
  kube = await HttpKubeClient.fromKubeconfig({ kubeconfigPath: testEnv().kubeconfigPath });
  ns = await createTestNamespace('poke');
});
afterAll(() => kube?.close());

function deployment(name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          initContainers: [{ name: 'init', image: 'busybox:1' }],
          containers: [
            { name: 'c1', image },
            { name: 'sidecar', image: 'sidecar:1' },
          ],
        },
      },
    },
  };
}

const seen = (name: string, container: string, resultImage: string): FixedImage => ({
  image: 'repo/app',
  resultImage,
  object: { group: 'apps', version: 'v1', kind: 'Deployment', name, namespace: ns },
  deployment: `Deployment/${name}`,
  container,
});

test('TestPokeImages: sets only the images of matching containers in the live object', async () => {
  const live = deployment('poked', 'repo/app:1');
  const r = await kubectlTest(['create', '-f', '-'], { input: JSON.stringify(live) });
  expect(r.code).toBe(0);
  // Someone scaled the deployment by hand: poke-images must not undo that.
  expect((await kubectlTest(['scale', 'deployment', 'poked', '-n', ns, '--replicas=3'])).code).toBe(0);
  const rendered = deployment('poked', 'repo/app:2');
  (rendered.spec as { replicas: number }).replicas = 1;
  const out = await pokeImages(kube, {
    items: [{ objects: [rendered, deployment('missing', 'repo/app:2')] }],
    seenImages: [
      seen('poked', 'c1', 'repo/app:2'),
      seen('poked', 'init', 'busybox:2'),
      seen('missing', 'c1', 'x'),
    ],
  });
  expect(out.errors).toEqual([]);
  expect(out.warnings.map((w) => w.ref.name)).toEqual(['missing']);
  const after = await kubectlJson<{
    spec: {
      replicas: number;
      template: { spec: { containers: { image: string }[]; initContainers: { image: string }[] } };
    };
  }>(['get', 'deployment', 'poked', '-n', ns]);
  expect(after.spec.replicas).toBe(3);
  expect(after.spec.template.spec.containers.map((c) => c.image)).toEqual(['repo/app:2', 'sidecar:1']);
  expect(after.spec.template.spec.initContainers.map((c) => c.image)).toEqual(['busybox:2']);
  const entry = out.objects.find((o) => o.ref.name === 'poked');
  expect(entry?.changes?.map((c) => c.jsonPath).sort()).toEqual([
    'spec.template.spec.containers[0].image',
    'spec.template.spec.initContainers[0].image',
  ]);
});

test('an image of an object that was not rendered is an error', async () => {
  const out = await pokeImages(kube, { items: [], seenImages: [seen('other', 'c1', 'x')] });
  expect(out.errors.map((e) => e.message)).toEqual([
    'object not found while trying to associate image with deployed object',
  ]);
});
