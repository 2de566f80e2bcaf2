/**
 * The repository index (lib/serverless/repo-index.ts) on S3 (LocalStack) and on a local folder:
 * mirrors come and go, move between repositories and refs, and many deployments of one repository
 * are indexed at once without losing an entry (conditional writes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';
import type { StateStore } from '../../lib/ports.js';
import type { MirrorDocument, MirroredDeployment } from '../../lib/serverless/protocol.js';
import { deploymentsForPush, indexMirror } from '../../lib/serverless/repo-index.js';
import type { RepoIndexDocument } from '../../lib/serverless/repo-index.js';
import { readJson } from '../../lib/state/json-state.js';
import { repoIndexKey } from '../../lib/state/layout.js';
import { testEnv } from '../support/test-env.js';

let client: S3Client;
let fsRoot: string;
const bucket = `ks-repo-index-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  const { s3 } = await testEnv();
  client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  fsRoot = await mkdtemp(join(tmpdir(), 'ks-repo-index-'));
});
afterAll(async () => {
  client?.destroy();
  if (fsRoot) await rm(fsRoot, { recursive: true, force: true });
});

let n = 0;
const stores: [string, () => StateStore][] = [
  ['S3StateStore', () => new S3StateStore({ client, bucket, prefix: `t${n++}/` })],
  ['FsStateStore', () => new FsStateStore(join(fsRoot, `t${n++}`))],
];

function mirror(name: string, source: KluctlDeploymentSpec['source']): MirroredDeployment {
  return { metadata: { name, namespace: 'apps', generation: 1 }, spec: { interval: '5m', source } };
}
const id = (name: string, clusterId = 'c1') => ({ clusterId, namespace: 'apps', name });
const names = (ids: readonly { name: string }[]) => ids.map((i) => i.name).sort();

describe.each(stores)('%s', (_name, makeStore) => {
  let store: StateStore;
  beforeEach(() => {
    store = makeStore();
  });

  test('finds deployments by any URL form of the repository and by the ref they follow', async () => {
    const https = 'https://github.com/org/repo.git';
    await indexMirror(store, mirror('main', { git: { url: https, ref: { branch: 'main' } } }), id('main'));
    await indexMirror(store, mirror('dflt', { git: { url: 'git@github.com:Org/Repo' } }), id('dflt'));
    await indexMirror(store, mirror('tag', { url: https, ref: { tag: 'v1' } }), id('tag'));
    const doc: MirrorDocument = {
      clusterId: 'c2',
      receivedAt: new Date().toISOString(),
      object: mirror('other', { git: { url: 'https://github.com/org/other' } }),
    };
    await indexMirror(store, doc, id('other', 'c2'));
    await indexMirror(store, mirror('oci', { oci: { url: 'oci://r.example.com/x' } }), id('oci'));

    const ssh = 'ssh://git@github.com/org/repo.git';
    expect(names(await deploymentsForPush(store, ssh, 'refs/heads/main'))).toEqual(['dflt', 'main']);
    expect(
      names(await deploymentsForPush(store, [https, ssh], 'refs/heads/main', { defaultBranch: 'dev' })),
    ).toEqual(['main']);
    expect(names(await deploymentsForPush(store, https, 'refs/tags/v1'))).toEqual(['tag']);
    expect(await deploymentsForPush(store, https, 'refs/heads/main')).toContainEqual(id('main'));
    expect(await deploymentsForPush(store, 'https://github.com/org/other', 'refs/heads/x')).toEqual([
      id('other', 'c2'),
    ]);
    expect(await deploymentsForPush(store, 'https://github.com/org/unknown', 'refs/heads/main')).toEqual([]);
    expect(await deploymentsForPush(store, ['not a url', '/local'], 'refs/heads/main')).toEqual([]);
  });

  test('a changed URL or ref moves the entry, and a deletion removes it', async () => {
    const a = 'https://git.example.com/org/a.git';
    const b = 'https://git.example.com/org/b.git';
    await indexMirror(store, mirror('d', { git: { url: a, ref: { branch: 'main' } } }), id('d'));
    expect(await deploymentsForPush(store, a, 'refs/heads/main')).toEqual([id('d')]);

    await indexMirror(store, mirror('d', { git: { url: a, ref: { branch: 'dev' } } }), id('d'));
    expect(await deploymentsForPush(store, a, 'refs/heads/main')).toEqual([]);
    expect(await deploymentsForPush(store, a, 'refs/heads/dev')).toEqual([id('d')]);

    await indexMirror(store, mirror('d', { git: { url: b, ref: { branch: 'dev' } } }), id('d'));
    expect(await deploymentsForPush(store, a, 'refs/heads/dev')).toEqual([]);
    expect(await deploymentsForPush(store, b, 'refs/heads/dev')).toEqual([id('d')]);

    await indexMirror(store, undefined, id('d'));
    expect(await deploymentsForPush(store, b, 'refs/heads/dev')).toEqual([]);
    // Deleting what was never indexed is a no-op.
    await indexMirror(store, undefined, id('never'));
  });

  test('an unchanged mirror costs one read and writes nothing', async () => {
    const url = 'https://git.example.com/org/cost.git';
    await indexMirror(store, mirror('d', { git: { url } }), id('d'));
    const calls: string[] = [];
    const counting: StateStore = {
      get: (k) => (calls.push(`get ${k}`), store.get(k)),
      put: (k, b, c) => (calls.push(`put ${k}`), store.put(k, b, c)),
      delete: (k) => (calls.push(`delete ${k}`), store.delete(k)),
      list: (p) => (calls.push(`list ${p}`), store.list(p)),
    };
    await indexMirror(counting, mirror('d', { git: { url } }), id('d'));
    expect(calls).toEqual(['get clusters/c1/deployments/apps/d/repo-link.json']);
  });

  test('forty deployments of one repository indexed at once all end up listed', async () => {
    const url = 'https://git.example.com/org/busy.git';
    const all = Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`);
    await Promise.all(
      all.map((name) =>
        indexMirror(store, mirror(name, { git: { url } }), id(name), { maxAttempts: 100, maxBackoffMs: 50 }),
      ),
    );
    const doc = await readJson<RepoIndexDocument>(store, repoIndexKey('git.example.com/org/busy'));
    expect(doc.value?.deployments.map((d) => d.name)).toEqual(all);
    expect(names(await deploymentsForPush(store, url, 'refs/heads/main'))).toEqual(all);
  });
});
