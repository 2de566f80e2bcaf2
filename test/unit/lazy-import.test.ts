// lazyImport loads a module on the first call only, and every caller shares that load.
import { lazyImport } from '../../lib/util/lazy-import.js';

it('runs the loader once, on first use, and shares its promise', async () => {
  let loads = 0;
  const load = lazyImport(async () => ({ n: ++loads }));
  expect(loads).toBe(0);
  const [a, b] = await Promise.all([load(), load()]);
  expect(await load()).toBe(a);
  expect(b).toBe(a);
  expect(loads).toBe(1);
});

it('shares a failed load too (the caller sees the import error)', async () => {
  const load = lazyImport(() => Promise.reject(new Error('no such module')));
  await expect(load()).rejects.toThrow('no such module');
  await expect(load()).rejects.toThrow('no such module');
});
