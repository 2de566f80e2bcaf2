/**
 * `spec.sourceOverrides` in the reconciler. Kluctl's controller accepts only
 * `grpc+source-override://<proxy host>/<server id>` URLs: they are written by a running
 * `kluctl gitops <command> --local-git-override ...`, which serves the local directories to the
 * controller through the controller's source-override proxy (a gRPC tunnel, port 8082). Any other
 * scheme fails the prepare step with `unsupported source override url scheme: <scheme>`.
 *
 * kluctl-serverless runs no such proxy (so, by Kluctl's CLI source, `kluctl gitops --local-git-override` stops in
 * the CLI: "no connection to source override proxy established"; without the flags it sets no
 * overrides), so an override can only come from a hand-written spec. It refuses both kinds:
 * other schemes with Kluctl's message, proxy URLs with a message saying what to do instead. Nothing is
 * ever silently ignored. Local overrides are available on the CLI (`--local-git-override` and
 * friends, lib/project/source-overrides.ts).
 */
import type { SourceOverride } from '../api/types.js';
import { KsError } from '../errors.js';
import { parseRepoKey } from '../project/source-overrides.js';

/** Kluctl's SourceOverrideScheme. */
export const SOURCE_OVERRIDE_SCHEME = 'grpc+source-override';

/** The scheme of `url` as Go's url.Parse finds it ('' when it has none). */
function schemeOf(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * Throws KsError `InvalidInput` naming the first bad entry of `spec.sourceOverrides`, and for any
 * entry at all, since none can be served here. Returns when the list is empty or absent.
 */
export function checkSpecSourceOverrides(overrides: readonly SourceOverride[] | undefined): void {
  (overrides ?? []).forEach((so, i) => {
    const field = `spec.sourceOverrides[${i}]`;
    try {
      parseRepoKey(so.repoKey ?? '', 'git');
    } catch (err) {
      throw new KsError('InvalidInput', `${field}.repoKey: ${(err as Error).message}`, { cause: err });
    }
    const scheme = schemeOf(so.url ?? '');
    if (scheme !== SOURCE_OVERRIDE_SCHEME)
      throw new KsError(
        'InvalidInput',
        `${field}.url: unsupported source override url scheme: ${scheme} (Kluctl's controller accepts ` +
          `only ${SOURCE_OVERRIDE_SCHEME}:// URLs; remove the entry)`,
      );
    throw new KsError(
      'InvalidInput',
      `${field}.url: ${SOURCE_OVERRIDE_SCHEME}:// overrides are served by a running 'kluctl gitops' ` +
        `command through the Kluctl controller's source-override proxy, which kluctl-serverless does ` +
        `not run; remove spec.sourceOverrides and use 'kluctl-serverless deploy --local-git-override ` +
        `<repo key>=<dir>' for a local override instead`,
    );
  });
}
