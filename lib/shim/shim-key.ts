/**
 * The shim's signing key as it is stored: the bytes of a file (a mounted Secret key) or of a Secrets
 * Manager string. Trailing line breaks are not part of the key, since editors and `echo` add them and
 * `kubectl create secret --from-file` keeps them; everything else is, byte for byte. Both sides of the
 * HMAC read a key through this function, so they agree on it.
 */
import { KsError } from '../errors.js';

/** Environment variable naming the key file when --key-file is not given. */
export const SHIM_KEY_FILE_ENV = 'KLUCTL_SERVERLESS_SHIM_KEY_FILE';

/** Shortest key accepted: HMAC-SHA256 gains nothing from more than 32 bytes and loses from fewer. */
export const MIN_SHIM_KEY_BYTES = 32;

/**
 * The key held in `raw`; `source` names where it came from in errors (never the key itself). Throws
 * KsError `InvalidInput` for a key shorter than {@link MIN_SHIM_KEY_BYTES}.
 */
export function parseShimKey(raw: Uint8Array, source: string): Uint8Array {
  let end = raw.length;
  while (end > 0 && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  const key = raw.subarray(0, end);
  if (key.length < MIN_SHIM_KEY_BYTES) {
    throw new KsError(
      'InvalidInput',
      `the shim key in ${source} has ${key.length} bytes; it needs at least ${MIN_SHIM_KEY_BYTES} ` +
        `(create one with: openssl rand -hex 32 > shim.key)`,
    );
  }
  return key;
}
