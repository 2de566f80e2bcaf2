/**
 * Temp folders that say who owns them. A test run or a reference-Kluctl run that is killed (SIGKILL,
 * OOM, a CI timeout) never removes its folder; such folders once filled the disk (154 MB per Kluctl
 * cache). Each folder made here holds a marker with the owning process id, and the next test run
 * removes the folders whose owner is gone.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Name of the marker file inside an owned folder. */
const OWNER_FILE = '.ks-owner-pid';

/** A fresh folder under the temp dir, named `<prefix>XXXXXX`, marked as owned by this process. */
export async function ownedTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await writeFile(join(dir, OWNER_FILE), String(process.pid));
  return dir;
}

/** Whether a process with this id is alive (a reused id counts as alive: the folder is kept). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the owned folders (`ks-*` with a marker) of processes that no longer run. Folders without a
 * marker are left alone: they may belong to anything. Returns the folders removed.
 */
export async function sweepOrphanedTempDirs(root = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith('ks-')) continue;
    const dir = join(root, name);
    const pid = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => ''));
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
