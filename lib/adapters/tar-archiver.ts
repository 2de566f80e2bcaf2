/**
 * TreeArchiver on the `tar` package (npm's own): portable gzip'd tarballs (no uid, gid or mtime, so
 * equal trees give equal archives), symlinks kept as links, file modes kept (the exec bit matters to
 * kustomize plugins and scripts). Unpacking refuses absolute paths and `..` (the package's default), and
 * links whose target leaves the directory are refused by the renderer's own path checks later.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { KsError } from '../errors.js';
import type { TreeArchiver } from '../ports.js';

/** Snapshots as gzip'd tarballs. */
export class TarArchiver implements TreeArchiver {
  async pack(dir: string): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    const stream = tar.c(
      {
        gzip: true,
        cwd: dir,
        portable: true,
        // Leave out the repository itself; the snapshot is the work tree.
        filter: (path) => path !== './.git' && !path.startsWith('./.git/'),
      },
      ['.'],
    );
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async unpack(archive: Uint8Array, dir: string): Promise<void> {
    const warnings: string[] = [];
    try {
      await pipeline(
        Readable.from([Buffer.from(archive)]),
        tar.x({
          cwd: dir,
          strict: true,
          onwarn: (_code: string, message: string) => warnings.push(message),
        }),
      );
    } catch (err) {
      throw new KsError('StateStore', `clone cache snapshot cannot be unpacked: ${String(err)}`, {
        cause: err,
      });
    }
    if (warnings.length > 0)
      throw new KsError('StateStore', `clone cache snapshot cannot be unpacked: ${warnings.join('; ')}`);
  }
}
