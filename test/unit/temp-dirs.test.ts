import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ownedTempDir, sweepOrphanedTempDirs } from '../../devenv/temp-dirs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sweep-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The id of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

async function folder(name: string, owner?: number): Promise<void> {
  await mkdir(join(root, name));
  await writeFile(join(root, name, 'data'), 'x');
  if (owner !== undefined) await writeFile(join(root, name, '.ks-owner-pid'), String(owner));
}

test('removes the ks- folders of ended owners only', async () => {
  const dead = deadPid();
  await folder('ks-test-dead', dead);
  await folder('ks-kluctl-cache-dead', dead);
  await folder('ks-test-alive', process.pid);
  await folder('ks-test-unmarked');
  await folder('other-dead', dead);
  await folder('ks-test-garbled');
  await writeFile(join(root, 'ks-test-garbled', '.ks-owner-pid'), 'not a pid');

  const removed = await sweepOrphanedTempDirs(root);

  expect(removed.sort()).toEqual([join(root, 'ks-kluctl-cache-dead'), join(root, 'ks-test-dead')]);
  expect((await readdir(root)).sort()).toEqual([
    'ks-test-alive',
    'ks-test-garbled',
    'ks-test-unmarked',
    'other-dead',
  ]);
});

test('a folder made by ownedTempDir is kept while this process runs', async () => {
  const dir = await ownedTempDir('ks-sweep-test-');
  try {
    await sweepOrphanedTempDirs();
    expect(existsSync(dir)).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
