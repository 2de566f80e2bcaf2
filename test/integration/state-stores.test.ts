// The StateStore contract, run against S3StateStore on LocalStack and FsStateStore on a temp folder:
// conditional writes behave as on AWS (If-None-Match: * and If-Match → conflict), and read-modify-write
// with updateJson never loses an update under concurrent writers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { S3StateStore } from '../../lib/adapters/s3-state-store.js';
import { StateConflictError } from '../../lib/errors.js';
import type { StateStore } from '../../lib/ports.js';
import { acquireLease, readJson, updateJson } from '../../lib/state/json-state.js';
import { testEnv } from '../support/test-env.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

let client: S3Client;
let pagingClient: S3Client;
let listRequests = 0;
let fsRoot: string;
const bucket = `ks-state-stores-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

async function s3Client(): Promise<S3Client> {
  const { s3 } = await testEnv();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

beforeAll(async () => {
  client = await s3Client();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  // A client whose listings come in pages of two, so pagination is exercised against the real service.
  pagingClient = await s3Client();
  pagingClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'ListObjectsV2Command') {
        listRequests++;
        (args.input as { MaxKeys?: number }).MaxKeys = 2;
      }
      return next(args);
    },
    { step: 'initialize', name: 'smallPages' },
  );
  fsRoot = await mkdtemp(join(tmpdir(), 'ks-fs-state-'));
});

afterAll(async () => {
  if (client) {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    const objects = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length > 0)
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
    pagingClient.destroy();
  }
  if (fsRoot) await rm(fsRoot, { recursive: true, force: true });
});

let storeCount = 0;
const stores: [string, () => StateStore][] = [
  ['S3StateStore', () => new S3StateStore({ client: pagingClient, bucket, prefix: `t${storeCount++}/` })],
  ['FsStateStore', () => new FsStateStore(join(fsRoot, `t${storeCount++}`))],
];

describe.each(stores)('%s', (_name, makeStore) => {
  let store: StateStore;
  beforeEach(() => {
    store = makeStore();
  });

  it('reads nothing for a missing key and round-trips a blob with its ETag', async () => {
    expect(await store.get('a/missing.json')).toBeUndefined();
    const etag = await store.put('a/b.json', bytes('{"x":1}'), { contentType: 'application/json' });
    const blob = await store.get('a/b.json');
    expect(text(blob?.body)).toBe('{"x":1}');
    expect(blob?.etag).toBe(etag);
  });

  it('refuses a second conditional create', async () => {
    await store.put('create.json', bytes('first'), { ifNoneMatch: '*' });
    await expect(store.put('create.json', bytes('second'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(text((await store.get('create.json'))?.body)).toBe('first');
  });

  it('refuses an update with a stale ETag or for a deleted key', async () => {
    const stale = await store.put('update.json', bytes('v1'));
    const fresh = await store.put('update.json', bytes('v2'), { ifMatch: stale });
    expect(fresh).not.toBe(stale);
    await expect(store.put('update.json', bytes('v3'), { ifMatch: stale })).rejects.toBeInstanceOf(
      StateConflictError,
    );
    expect(text((await store.get('update.json'))?.body)).toBe('v2');
    await store.delete('update.json');
    await expect(store.put('update.json', bytes('v4'), { ifMatch: fresh })).rejects.toBeInstanceOf(
      StateConflictError,
    );
  });

  it('deletes quietly, also keys that do not exist', async () => {
    await store.put('del/x', bytes('x'));
    await store.delete('del/x');
    await store.delete('del/x');
    await store.delete('never/was');
    expect(await store.get('del/x')).toBeUndefined();
  });

  it('lists by string prefix across pages', async () => {
    for (const k of ['l/a/1', 'l/a/2', 'l/ab', 'l/b/1', 'l/a/sub/3', 'other']) await store.put(k, bytes(k));
    expect(await store.list('l/a')).toEqual(['l/a/1', 'l/a/2', 'l/a/sub/3', 'l/ab']);
    expect(await store.list('l/a/')).toEqual(['l/a/1', 'l/a/2', 'l/a/sub/3']);
    expect(await store.list('none/')).toEqual([]);
  });

  it('ends at exactly 10 when 10 writers increment one counter concurrently', async () => {
    const key = 'counter.json';
    await Promise.all(
      Array.from({ length: 10 }, () =>
        updateJson<{ n: number }>(store, key, (cur) => ({ n: (cur?.n ?? 0) + 1 })),
      ),
    );
    expect((await readJson<{ n: number }>(store, key)).value).toEqual({ n: 10 });
  });

  it('grants a lease to exactly one of several concurrent holders', async () => {
    const now = new Date();
    const holders = ['h1', 'h2', 'h3', 'h4', 'h5'];
    const won = await Promise.all(holders.map((h) => acquireLease(store, 'lease.json', h, 60_000, now)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = holders[won.indexOf(true)];
    expect((await readJson<{ lease?: { holder: string } }>(store, 'lease.json')).value?.lease?.holder).toBe(
      winner,
    );
  });
});

describe('S3StateStore specifics', () => {
  it('follows continuation tokens', async () => {
    const store = new S3StateStore({ client: pagingClient, bucket, prefix: 'pages/' });
    const keys = ['p/1', 'p/2', 'p/3', 'p/4', 'p/5'];
    for (const k of keys) await store.put(k, bytes(k));
    const before = listRequests;
    expect(await store.list('p/')).toEqual(keys);
    expect(listRequests - before).toBe(3);
  });

  it('keeps stores with different prefixes apart and lists keys without the prefix', async () => {
    const a = new S3StateStore({ client, bucket, prefix: 'iso-a/' });
    const b = new S3StateStore({ client, bucket, prefix: 'iso-b/' });
    await a.put('k.json', bytes('a'));
    expect(await b.get('k.json')).toBeUndefined();
    expect(await a.list('')).toEqual(['k.json']);
    await expect(b.put('k.json', bytes('b'), { ifNoneMatch: '*' })).resolves.toBeDefined();
  });
});
