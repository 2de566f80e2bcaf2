/** The `ref` of git includes and git vars sources, validated as Kluctl's GitRef is decoded. */
import { ProjectLoadError } from '../errors.js';
import type { GitRef } from '../ports.js';
import { isDict } from './merge.js';

/**
 * Checks a `ref:` as written: absent or null means the default branch; otherwise an object with
 * exactly one of `branch`, `tag` and `commit`. A plain string (`ref: main`) is refused, as Kluctl
 * refuses it. `where` names the field's owner in messages (`git`, `deployments[0].git`, ...).
 */
export function parseGitRef(raw: unknown, where: string, file: string): GitRef {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'string')
    throw new ProjectLoadError(
      `${where}.ref must be an object with one of branch, tag or commit, not a string ` +
        `(write "ref: {branch: ${raw}}" or "ref: {tag: ${raw}}")`,
      { file },
    );
  if (!isDict(raw)) throw new ProjectLoadError(`${where}.ref must be an object`, { file });
  const set = (['branch', 'tag', 'commit'] as const).filter((k) => raw[k] !== undefined && raw[k] !== '');
  if (set.length === 0)
    throw new ProjectLoadError(`${where}.ref: either branch, tag or commit must be set`, { file });
  if (set.length > 1)
    throw new ProjectLoadError(`${where}.ref: only one of the ref fields can be set (${set.join(', ')})`, {
      file,
    });
  return raw as GitRef;
}
