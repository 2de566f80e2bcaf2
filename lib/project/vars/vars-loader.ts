/**
 * Vars sources (kluctl-semantics §3.2, 3.3): each entry is rendered with the variables loaded so far,
 * checked against `when`, loaded by its type's loader (the source files next to this one), placed at
 * `targetPath` and deep-merged into the context (or under it with `noOverride`). Sources marked
 * sensitive (by Kluctl's rules or `sensitive:`) are recorded in the render's VarsRuntime so their
 * values can be redacted.
 */
import { ProjectLoadError } from '../../errors.js';
import { VARS_SOURCE_TYPES } from '../deployment-config.js';
import type { VarsSource } from '../deployment-config.js';
import { deepMerge, isDict } from '../merge.js';
import type { Dict } from '../merge.js';
import { loadAwsSecretsManager } from './aws-source.js';
import { loadClusterConfigMap, loadClusterObject, loadClusterSecret } from './cluster-sources.js';
import { loadSystemEnvVars } from './env-source.js';
import { loadFileSource, loadGitSource } from './file-source.js';
import { loadGitFiles } from './git-files-source.js';
import { loadHttpSource } from './http-source.js';
import { parseJsonPath, setJsonPathOnEmpty } from '../../util/json-path.js';
import type { LoadedValue, SourceLoader, VarsLoadContext } from './source-types.js';
import { VarsRuntime } from './vars-runtime.js';

export type { VarsLoadContext } from './source-types.js';

type SourceType = (typeof VARS_SOURCE_TYPES)[number];

const LOADERS: Partial<Record<SourceType, SourceLoader>> = {
  values: (a) => Promise.resolve({ value: a.src.values ?? {}, sensitive: false }),
  file: loadFileSource,
  git: loadGitSource,
  gitFiles: loadGitFiles,
  clusterConfigMap: loadClusterConfigMap,
  clusterSecret: loadClusterSecret,
  clusterObject: loadClusterObject,
  systemEnvVars: loadSystemEnvVars,
  http: loadHttpSource,
  awsSecretsManager: loadAwsSecretsManager,
};

function sourceType(src: VarsSource, file: string): SourceType {
  const types = VARS_SOURCE_TYPES.filter((t) => src[t] !== undefined && src[t] !== null);
  if (types.length === 0) throw new ProjectLoadError('unknown vars source type', { file });
  if (types.length > 1)
    throw new ProjectLoadError(`more then one vars source type (${types.join(', ')})`, { file });
  return types[0]!;
}

/** The dict to merge: the value placed at targetPath, or the value itself when it is a dict. */
function placeValue(loaded: LoadedValue, targetPath: string | undefined, file: string): Dict {
  if (targetPath) return setJsonPathOnEmpty(parseJsonPath(targetPath), loaded.value);
  if (isDict(loaded.value)) return loaded.value;
  throw new ProjectLoadError("'targetPath' is required for this variable source", { file });
}

/** Loads one vars source into `vars`, returning the new variables. */
export async function loadVarsSource(vars: Dict, source: VarsSource, ctx: VarsLoadContext): Promise<Dict> {
  const rendered = await ctx.engine.renderStrings(source, vars, { file: ctx.file });
  if (rendered.errors[0]) throw rendered.errors[0];
  const src = rendered.value;
  if (src.when !== undefined && !(await ctx.engine.evaluateCondition(src.when, vars, { file: ctx.file })))
    return vars;
  const multidoc = src.multidoc ?? false;
  if (multidoc && !src.targetPath) {
    throw new ProjectLoadError('multidoc vars sources can only be used when targetPath is also specified', {
      file: ctx.file,
    });
  }
  const type = sourceType(src, ctx.file);
  const loader = LOADERS[type];
  if (!loader)
    throw new ProjectLoadError(`vars source type '${type}' is not supported by kluctl-serverless`, {
      file: ctx.file,
    });
  const runtime = ctx.runtime ?? new VarsRuntime();
  const loaded = await loader({
    src,
    vars,
    ctx,
    runtime,
    ignoreMissing: src.ignoreMissing ?? false,
    multidoc,
  });
  const newVars = placeValue(loaded, src.targetPath, ctx.file);
  // `sensitive:` overrides the automatic flag (taken from the entry as written, as Kluctl does).
  if (source.sensitive ?? loaded.sensitive) runtime.recordSensitive(ctx.file, type, newVars);
  if (loaded.skipMerge) return vars;
  return src.noOverride ? deepMerge(newVars, vars) : deepMerge(vars, newVars);
}

/** Loads a `vars:` list in order; each entry sees the ones before it. */
export async function loadVarsList(
  vars: Dict,
  sources: readonly VarsSource[] | undefined,
  ctx: VarsLoadContext,
): Promise<Dict> {
  let current = vars;
  for (const s of sources ?? []) current = await loadVarsSource(current, s, ctx);
  return current;
}
