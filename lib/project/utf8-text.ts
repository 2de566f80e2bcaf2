/**
 * Strict UTF-8 decoding of template files. Kluctl hands every item file containing `{` to Python's
 * Jinja2, which reads it as UTF-8 and fails on anything else; Node's lenient decoding would instead
 * turn bad bytes into U+FFFD and render a corrupted file. The error names the first bad byte as
 * Python's decoder does.
 */
import { TemplateError } from '../errors.js';

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Where Python's UTF-8 decoder stops: the bad byte range [start, end) and its reason. */
interface DecodeFailure {
  readonly start: number;
  readonly end: number;
  readonly reason: string;
}

const isCont = (b: number | undefined): boolean => b !== undefined && b >= 0x80 && b <= 0xbf;

/** The allowed range of the second byte after a lead byte (UTF-8 excludes overlongs and surrogates). */
function secondRange(lead: number): [number, number] {
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return [0x80, 0xbf];
}

/** The first decoding failure of `buf`, with the byte range and wording of CPython's UTF-8 codec. */
function firstFailure(buf: Uint8Array): DecodeFailure | undefined {
  for (let i = 0; i < buf.length;) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    if (need === 0) return { start: i, end: i + 1, reason: 'invalid start byte' };
    const [lo, hi] = secondRange(b);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined) return { start: i, end: buf.length, reason: 'unexpected end of data' };
      const ok = k === 1 ? c >= lo && c <= hi : isCont(c);
      if (!ok) return { start: i, end: i + k, reason: 'invalid continuation byte' };
    }
    i += need + 1;
  }
  return undefined;
}

/** Python's UnicodeDecodeError text for a failure. */
function describe(buf: Uint8Array, f: DecodeFailure): string {
  const what =
    f.end - f.start === 1
      ? `byte 0x${buf[f.start]!.toString(16).padStart(2, '0')} in position ${f.start}`
      : `bytes in position ${f.start}-${f.end - 1}`;
  return `'utf-8' codec can't decode ${what}: ${f.reason}`;
}

/**
 * Decodes a template file as UTF-8; throws a TemplateError naming the file, the first bad byte and the
 * fix (list the file in `.templateignore`, so it is copied without rendering) when it is not UTF-8.
 */
export function decodeTemplateFile(buf: Uint8Array, file: string): string {
  try {
    return STRICT.decode(buf);
  } catch {
    const f = firstFailure(buf) ?? { start: 0, end: 1, reason: 'invalid start byte' };
    throw new TemplateError(
      `${describe(buf, f)}. Kluctl renders every file containing '{' as a UTF-8 template; ` +
        'list files in another encoding in a .templateignore file to copy them as they are',
      { file },
    );
  }
}
