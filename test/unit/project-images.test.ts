/** Fixed images and get_image placeholders (kluctl-semantics §3.6), following Kluctl's images_test.go. */
import {
  parseFixedImageArg,
  parseFixedImagesFile,
  resolveFixedImage,
} from '../../lib/images/fixed-images.js';
import type { FixedImage } from '../../lib/images/fixed-images.js';
import { imagePlaceholder, listSeenImages, resolveImagePlaceholders } from '../../lib/images/placeholders.js';
import type { KubeObject } from '../../lib/ports.js';

const q = { image: 'nginx', namespace: 'ns', deployment: 'Deployment/web', container: 'c1' };

function deployment(images: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns' },
    spec: {
      template: {
        spec: { containers: Object.entries(images).map(([name, image]) => ({ name, image })) },
      },
    },
  };
}

describe('parseFixedImageArg (-F image[:namespace[:deployment[:container]]]=result)', () => {
  it.each<[string, FixedImage]>([
    ['nginx=nginx:1.2', { image: 'nginx', resultImage: 'nginx:1.2' }],
    ['nginx:ns=nginx:1', { image: 'nginx', namespace: 'ns', resultImage: 'nginx:1' }],
    [
      'nginx:ns:Deployment/web:c1=n:2',
      { image: 'nginx', namespace: 'ns', deployment: 'Deployment/web', container: 'c1', resultImage: 'n:2' },
    ],
  ])('%s', (arg, expected) => {
    expect(parseFixedImageArg(arg)).toEqual(expected);
  });

  it.each(['nginx', 'a=b=c', 'a:b:c:d:e=x'])("rejects %s with Kluctl's usage text", (arg) => {
    expect(() => parseFixedImageArg(arg)).toThrow(
      "--fixed-image expects 'image<:namespace:deployment:container>=result'",
    );
  });
});

describe('fixed image matching', () => {
  it.each<[string, FixedImage[], FixedImage[], string | undefined]>([
    ['exact image', [{ image: 'nginx', resultImage: 'a' }], [], 'a'],
    ['other image', [{ image: 'redis', resultImage: 'a' }], [], undefined],
    ['regex', [{ imageRegex: 'ng.*', resultImage: 'r' }], [], 'r'],
    ['namespace filter', [{ image: 'nginx', namespace: 'other', resultImage: 'a' }], [], undefined],
    ['deployment filter', [{ image: 'nginx', deployment: 'Deployment/web', resultImage: 'd' }], [], 'd'],
    ['container filter', [{ image: 'nginx', container: 'c2', resultImage: 'a' }], [], undefined],
    [
      'last match wins',
      [
        { image: 'nginx', resultImage: 'first' },
        { image: 'nginx', resultImage: 'last' },
      ],
      [],
      'last',
    ],
    [
      'vars only when the explicit list has no match',
      [{ image: 'x', resultImage: 'a' }],
      [{ image: 'nginx', resultImage: 'v' }],
      'v',
    ],
    [
      'explicit list before vars',
      [{ image: 'nginx', resultImage: 'e' }],
      [{ image: 'nginx', resultImage: 'v' }],
      'e',
    ],
  ])('%s', (_n, explicit, fromVars, expected) => {
    expect(resolveFixedImage(q, explicit, fromVars)).toBe(expected);
  });
});

describe('placeholders', () => {
  it('resolves by container name and records seen images', () => {
    const o = deployment({ c1: imagePlaceholder('nginx'), c2: `pre-${imagePlaceholder('redis')}-post` });
    const seen = resolveImagePlaceholders(o, {
      fixedImages: [
        { image: 'nginx', resultImage: 'nginx:1' },
        { image: 'redis', container: 'c2', resultImage: 'redis:7' },
      ],
      varsImages: [],
      deploymentDir: 'apps/web',
      tags: ['web'],
    });
    const containers = (o.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers;
    expect(containers.map((c) => c.image)).toEqual(['nginx:1', 'pre-redis:7-post']);
    expect(seen.map((s) => [s.image, s.resultImage, s.container, s.deployment, s.deploymentDir])).toEqual([
      ['nginx', 'nginx:1', 'c1', 'Deployment/web', 'apps/web'],
      ['redis', 'redis:7', 'c2', 'Deployment/web', 'apps/web'],
    ]);
    expect(seen[0]?.object).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      name: 'web',
      namespace: 'ns',
    });
  });

  it('resolves two placeholders in one string', () => {
    const o = deployment({ c1: `${imagePlaceholder('a')},${imagePlaceholder('b')}` });
    resolveImagePlaceholders(o, {
      fixedImages: [
        { image: 'a', resultImage: 'A' },
        { image: 'b', resultImage: 'B' },
      ],
      varsImages: [],
      deploymentDir: 'x',
      tags: [],
    });
    expect(JSON.stringify(o)).toContain('"image":"A,B"');
  });

  it("fails with Kluctl's message when no fixed image matches", () => {
    const o = deployment({ c1: imagePlaceholder('nginx') });
    expect(() =>
      resolveImagePlaceholders(o, { fixedImages: [], varsImages: [], deploymentDir: 'x', tags: [] }),
    ).toThrow('failed to find fixed image for nginx');
  });

  it('takes deployedImage from the live object when the placeholder is the whole field', () => {
    const o = deployment({ c1: imagePlaceholder('nginx') });
    const seen = resolveImagePlaceholders(o, {
      fixedImages: [{ image: 'nginx', resultImage: 'nginx:2' }],
      varsImages: [],
      deploymentDir: 'x',
      tags: [],
      remote: deployment({ c1: 'nginx:1' }),
    });
    expect(seen[0]?.deployedImage).toBe('nginx:1');
  });

  it('list-images output is sorted by image; --simple keeps image and resultImage', () => {
    const seen: FixedImage[] = [
      { image: 'z', resultImage: 'z:1', container: 'c' },
      { image: 'a', resultImage: 'a:1', container: 'c' },
    ];
    expect(listSeenImages(seen, true)).toEqual([
      { image: 'a', resultImage: 'a:1' },
      { image: 'z', resultImage: 'z:1' },
    ]);
  });

  it('decodes fixed-images files strictly', () => {
    expect(parseFixedImagesFile('images:\n  - image: a\n    resultImage: b\n', 'f.yaml')).toEqual([
      { image: 'a', resultImage: 'b' },
    ]);
    expect(() => parseFixedImagesFile('images:\n  - image: a\n    bogus: 1\n', 'f.yaml')).toThrow(
      'f.yaml:3:5: unknown field "bogus"',
    );
  });
});
