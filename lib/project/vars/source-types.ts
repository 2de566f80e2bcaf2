/** The shape shared by the per-type vars source loaders. */
import type { TemplateEngine } from '../../templating/template-engine.js';
import type { VarsSource } from '../deployment-config.js';
import type { Dict } from '../merge.js';
import type { VarsRuntime } from './vars-runtime.js';

/** Where vars sources are loaded. */
export interface VarsLoadContext {
  readonly engine: TemplateEngine;
  /** Absolute root of the source; files outside it are never read. */
  readonly sourceRoot: string;
  /** Absolute project dirs to look up `file:` in, nearest project first (§3.1 search path). */
  readonly searchDirs: readonly string[];
  /** The file declaring the vars (relative to the source root), for error messages. */
  readonly file: string;
  /** Services and caches of this render. Default: none, so only values/file/systemEnvVars work. */
  readonly runtime?: VarsRuntime;
}

/** What one source produced. */
export interface LoadedValue {
  /** The value to place at targetPath (or merge, when it is a dict). */
  readonly value: unknown;
  /** Kluctl's automatic sensitivity of the source (SOPS-decrypted, secrets, env, ...). */
  readonly sensitive: boolean;
  /** Nothing was loaded (ignoreMissing on a cluster source) and nothing must be merged. */
  readonly skipMerge?: boolean;
}

/** Arguments of a source loader; `src` is already rendered. */
export interface SourceArgs {
  readonly src: VarsSource;
  readonly vars: Dict;
  readonly ctx: VarsLoadContext;
  readonly runtime: VarsRuntime;
  readonly ignoreMissing: boolean;
  readonly multidoc: boolean;
}

/** Loads one source type. */
export type SourceLoader = (args: SourceArgs) => Promise<LoadedValue>;
