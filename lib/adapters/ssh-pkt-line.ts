/**
 * The little pkt-line framing the SSH transport needs (gitprotocol-common: four hex digits of length,
 * `0000` = flush): finding where upload-pack's advertisement ends, so the transport can hand it to
 * isomorphic-git as an HTTP discovery answer or skip it before a stateless request.
 */

/** The first lines of a smart-HTTP discovery answer, which upload-pack over SSH does not send. */
export const SERVICE_HEADER = Buffer.from('001e# service=git-upload-pack\n0000');

/** Upload-pack's advertisement as read from the stream. */
export interface Advertisement {
  /** The advertisement's bytes including its closing flush; empty when the stream ended first. */
  readonly raw: Buffer;
  /** Bytes read past the advertisement. */
  readonly leftover: Buffer;
  /** Whether the server answered with protocol v2 (`version 2` as the first line). */
  readonly version2: boolean;
}

/** Reads pkt-lines from `next` (undefined = end of stream) up to and including the first flush. */
export async function readAdvertisement(next: () => Promise<Buffer | undefined>): Promise<Advertisement> {
  let buf = Buffer.alloc(0);
  let pos = 0;
  let first: string | undefined;
  for (;;) {
    while (buf.length - pos >= 4) {
      const len = parseInt(buf.subarray(pos, pos + 4).toString('latin1'), 16);
      if (Number.isNaN(len)) throw new Error('malformed pkt-line from git-upload-pack');
      if (len === 0) {
        const end = pos + 4;
        return {
          raw: buf.subarray(0, end),
          leftover: buf.subarray(end),
          version2: first?.startsWith('version 2') ?? false,
        };
      }
      // 0001 (delim) and 0002 (response-end) are 4 bytes; data lines carry their own length.
      const size = len < 4 ? 4 : len;
      if (buf.length - pos < size) break;
      first ??= buf.subarray(pos + 4, pos + size).toString('utf8');
      pos += size;
    }
    const chunk = await next();
    if (!chunk)
      return { raw: buf.length ? buf : Buffer.alloc(0), leftover: Buffer.alloc(0), version2: false };
    buf = Buffer.concat([buf, chunk]);
  }
}
