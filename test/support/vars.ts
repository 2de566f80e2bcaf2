/**
 * The vars loader as the ports of Kluctl's pkg/vars/vars_loader_test.go drive it: a context around a
 * `VarsRuntime`, sources loaded in order onto a start dict, and the message of a load that must fail.
 */
import type { VarsSource } from '../../lib/project/deployment-config.js';
import type { Dict } from '../../lib/project/merge.js';
import { loadVarsSource } from '../../lib/project/vars/vars-loader.js';
import type { VarsLoadContext } from '../../lib/project/vars/vars-loader.js';
import type { VarsRuntime } from '../../lib/project/vars/vars-runtime.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';

const engine = new TemplateEngine();

/** Where a test's sources are read from; defaults: `/` and no search dirs (sources need no files). */
export interface VarsContextOptions {
  readonly sourceRoot?: string;
  readonly searchDirs?: readonly string[];
}

/** A load context of `deployment.yml` with `runtime`'s services. */
export function varsContext(
  runtime: VarsRuntime,
  opts: VarsContextOptions = {},
): VarsLoadContext & { runtime: VarsRuntime } {
  return {
    engine,
    sourceRoot: opts.sourceRoot ?? '/',
    searchDirs: [...(opts.searchDirs ?? [])],
    file: 'deployment.yml',
    runtime,
  };
}

/** `load` and `loadError` of one test file, with its default context. */
export interface VarsLoader {
  /** Loads `sources` in order onto `start` and returns the vars. */
  load(sources: VarsSource[], c?: VarsLoadContext, start?: Dict): Promise<Dict>;
  /** Loads `sources`, expects that to fail with an Error, and returns its message. */
  loadError(sources: VarsSource[], c?: VarsLoadContext): Promise<string>;
}

/** The loader of a test file whose default context is `defaultContext()` (called per load). */
export function varsLoader(defaultContext: () => VarsLoadContext): VarsLoader {
  const load = async (sources: VarsSource[], c = defaultContext(), start: Dict = {}): Promise<Dict> => {
    let vars = start;
    for (const s of sources) vars = await loadVarsSource(vars, s, c);
    return vars;
  };
  const loadError = async (sources: VarsSource[], c = defaultContext()): Promise<string> => {
    const err = await load(sources, c).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    return (err as Error).message;
  };
  return { load, loadError };
}
