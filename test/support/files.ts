/** Files and folders of tests: projects written from a map of paths, and temp folders removed afterwards. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes `files` (path relative to `dir` → text) below `dir`, creating folders; returns `dir`. */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** The temp folders of one test file: `make()` in the tests, `removeAll()` in afterAll. */
export class TempDirs {
  private readonly dirs: string[] = [];

  /** @param prefix name prefix of the folders, below the OS temp dir */
  constructor(private readonly prefix: string) {}

  /** A new empty folder named `<prefix>XXXXXX` (or with `prefix` given here). */
  make(prefix: string = this.prefix): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  /** Removes every folder made so far. */
  removeAll(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
