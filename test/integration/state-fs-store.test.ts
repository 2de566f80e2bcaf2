// FsStateStore specifics: keys cannot escape the root, writes are atomic across processes (not only
// within one), and a lock left by a crashed writer is broken once stale.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FsStateStore } from '../../lib/adapters/fs-state-store.js';
import { KsError, StateStoreError } from '../../lib/errors.js';
import { readJson, updateJson } from '../../lib/state/json-state.js';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bytes = (s: string) => new TextEncoder().encode(s);

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ks-fs-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('FsStateStore', () => {
  it.each(['../escape', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a/', '', 'a/.ks-lock.b', 'a\\b'])(
    'refuses the key %j',
    async (key) => {
      const store = new FsStateStore(root);
      await expect(store.put(key, bytes('x'))).rejects.toThrow(KsError);
      await expect(store.get(key)).rejects.toThrow(/invalid state key/);
    },
  );

  it('stores keys as readable files and hides its own lock and temp files from listings', async () => {
    const store = new FsStateStore(root);
    await store.put('clusters/c/state.json', bytes('{}'));
    await writeFile(join(root, 'clusters/c/.ks-lock.other'), '');
    expect(await readdir(join(root, 'clusters/c'))).toContain('state.json');
    expect(await store.list('')).toEqual(['clusters/c/state.json']);
  });

  it('treats a key that is a folder of other keys as missing', async () => {
    const store = new FsStateStore(root);
    await store.put('a/b', bytes('x'));
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('a/b/c')).toBeUndefined();
  });

  it('breaks a stale lock left by a crashed writer', async () => {
    const store = new FsStateStore(root, { staleLockMs: 1000 });
    await mkdir(join(root, 'x'), { recursive: true });
    const lock = join(root, 'x', '.ks-lock.state.json');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 5000);
    await utimes(lock, old, old);
    await store.put('x/state.json', bytes('ok'), { ifNoneMatch: '*' });
    expect(new TextDecoder().decode((await store.get('x/state.json'))?.body)).toBe('ok');
  });

  it('waits for a fresh lock and gives up with a retryable error', async () => {
    const store = new FsStateStore(root, { staleLockMs: 60_000, lockTimeoutMs: 200 });
    await mkdir(join(root, 'y'), { recursive: true });
    await writeFile(join(root, 'y', '.ks-lock.s.json'), '');
    const err = await store.put('y/s.json', bytes('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateStoreError);
    expect((err as StateStoreError).retryable).toBe(true);
  });

  it('never loses an increment when several processes update one counter', async () => {
    const processes = 3;
    const perProcess = 8;
    const script = join(root, 'writer.mjs');
    const storeModule = join(repoRoot, 'lib/adapters/fs-state-store.ts');
    const stateModule = join(repoRoot, 'lib/state/json-state.ts');
    await writeFile(
      script,
      [
        `import { FsStateStore } from ${JSON.stringify(storeModule)};`,
        `import { updateJson } from ${JSON.stringify(stateModule)};`,
        `const store = new FsStateStore(process.argv[2]);`,
        `await Promise.all(Array.from({ length: ${perProcess} }, () =>`,
        `  updateJson(store, 'shared/counter.json', (c) => ({ n: (c?.n ?? 0) + 1 }), { maxAttempts: 100 })));`,
      ].join('\n'),
    );
    const data = join(root, 'data');
    const tsx = join(repoRoot, 'node_modules/tsx/dist/loader.mjs');
    await Promise.all(
      Array.from({ length: processes }, () =>
        exec(process.execPath, ['--import', tsx, script, data], { cwd: repoRoot }),
      ),
    );
    const store = new FsStateStore(data);
    expect((await readJson<{ n: number }>(store, 'shared/counter.json')).value).toEqual({
      n: processes * perProcess,
    });
    expect(await readdir(join(data, 'shared'))).toEqual(['counter.json']);
  });

  it('keeps concurrent in-process writers to different keys independent', async () => {
    const store = new FsStateStore(root);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        updateJson(store, `k/${i % 4}.json`, (c: { n: number } | undefined) => ({ n: (c?.n ?? 0) + 1 })),
      ),
    );
    const values = await Promise.all([0, 1, 2, 3].map((i) => readJson<{ n: number }>(store, `k/${i}.json`)));
    expect(values.map((v) => v.value?.n)).toEqual([5, 5, 5, 5]);
  });
});
