/**
 * Targets of a Kluctl project (kluctl-semantics §1.3, 1.4, 1.6): inheritance of the top-level
 * discriminator and aws config, rendering of the target's strings with `{target, args}` until stable,
 * and selection by name with Kluctl's error messages.
 */
import { KsError, ProjectLoadError, errorMessage } from '../errors.js';
import type { TemplateEngine } from '../templating/template-engine.js';
import { mergeArgs } from './args.js';
import type { FixedImage } from '../images/fixed-images.js';
import type { AwsConfig, KluctlProjectConfig, TargetConfig } from './kluctl-config.js';
import { deepClone } from './merge.js';
import type { Dict } from './merge.js';

/** A target after inheritance and rendering. The no-name target has `name: ""`. */
export interface Target {
  readonly name: string;
  readonly context?: string;
  readonly args?: Dict;
  readonly aws: AwsConfig;
  readonly images?: readonly FixedImage[];
  readonly discriminator?: string;
}

/** The targets of a project, as loaded. */
export interface LoadedTargets {
  /** Successfully rendered targets, sorted by name. */
  readonly targets: readonly Target[];
  /** Set when the project defines no targets (§1.6). */
  readonly noNameTarget?: Target;
  /** Targets that failed to render, by name, with the reason (Kluctl skips them with a warning). */
  readonly failed: ReadonlyMap<string, Error>;
  /** Warnings Kluctl would print while loading (missing names, duplicates, render failures). */
  readonly warnings: readonly string[];
}

/** How many times target strings are rendered at most, so targets may reference themselves (§1.4). */
const MAX_TARGET_RENDER_PASSES = 10;

/** The target as the `target` template variable: Go's JSON of the struct, empty optionals omitted. */
export function targetVars(t: Target): Dict {
  const out: Dict = { name: t.name };
  if (t.context !== undefined) out.context = t.context;
  if (t.args !== undefined) out.args = deepClone(t.args);
  out.aws = deepClone(t.aws);
  if (t.images !== undefined && t.images.length > 0) out.images = deepClone(t.images);
  if (t.discriminator) out.discriminator = t.discriminator;
  return out;
}

/** Target-level aws fields override the project's one by one (§1.2). */
function mergeAws(project: AwsConfig | undefined, target: AwsConfig | undefined): AwsConfig {
  const profile = target?.profile ?? project?.profile;
  const serviceAccount = target?.serviceAccount ?? project?.serviceAccount;
  return { ...(profile !== undefined ? { profile } : {}), ...(serviceAccount ? { serviceAccount } : {}) };
}

function buildTarget(config: KluctlProjectConfig, tc: TargetConfig): Target {
  const discriminator = tc.discriminator || config.discriminator || undefined;
  return deepClone({ ...tc, name: tc.name ?? '', aws: mergeAws(config.aws, tc.aws), discriminator });
}

async function renderTarget(
  config: KluctlProjectConfig,
  target: Target,
  externalArgs: Dict,
  engine: TemplateEngine,
): Promise<Target> {
  let current = target;
  let lastError: Error | undefined;
  for (let pass = 0; pass < MAX_TARGET_RENDER_PASSES; pass++) {
    const args = mergeArgs({ declarations: config.args, targetArgs: current.args, externalArgs });
    const vars = { target: targetVars(current), args };
    const r = await engine.renderStrings(current, vars, { file: config.file ?? '.kluctl.yaml' });
    current = r.value;
    if (r.errors.length === 0 && !r.changed) return current;
    lastError = r.errors[0];
  }
  if (lastError) throw lastError;
  return current;
}

/** Builds and renders every target of the project (or the no-name target when there are none). */
export async function loadTargets(
  config: KluctlProjectConfig,
  externalArgs: Dict,
  engine: TemplateEngine,
): Promise<LoadedTargets> {
  if (config.targets.length === 0) {
    const noNameTarget = await renderTarget(config, buildTarget(config, {}), externalArgs, engine);
    return { targets: [], noNameTarget, failed: new Map(), warnings: [] };
  }
  const targets: Target[] = [];
  const failed = new Map<string, Error>();
  const warnings: string[] = [];
  for (const [i, tc] of config.targets.entries()) {
    if (!tc.name) {
      warnings.push(`Target at index ${i} has no name`);
      continue;
    }
    let t: Target;
    try {
      t = await renderTarget(config, buildTarget(config, tc), externalArgs, engine);
    } catch (err) {
      warnings.push(`Failed to load target ${tc.name}: ${errorMessage(err)}`);
      if (!failed.has(tc.name)) failed.set(tc.name, err instanceof Error ? err : new Error(String(err)));
      continue;
    }
    if (targets.some((x) => x.name === t.name)) warnings.push(`Duplicate target ${t.name}`);
    else targets.push(t);
  }
  targets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { targets, failed, warnings };
}

/** Options of {@link selectTarget}. */
export interface SelectTargetOptions {
  /** `-t` / `spec.target`. */
  readonly name?: string;
  /** `-T` / `spec.targetNameOverride`: renames the selected target after lookup. */
  readonly nameOverride?: string;
  /** `--context` / `spec.context`: wins over the target's context. */
  readonly contextOverride?: string;
}

/** Picks the target to work with, erring as Kluctl does (§1.6). */
export function selectTarget(loaded: LoadedTargets, opts: SelectTargetOptions): Target {
  let target: Target;
  if (opts.name) {
    const found = loaded.targets.find((t) => t.name === opts.name);
    if (!found) {
      // A target that exists but failed to render reports why instead of claiming it does not exist.
      const why = loaded.failed.get(opts.name);
      if (why instanceof KsError) throw why;
      throw new ProjectLoadError(`target ${opts.name} not existent in kluctl project config`);
    }
    target = found;
  } else if (loaded.targets.length !== 0 || loaded.failed.size !== 0) {
    throw new ProjectLoadError(
      'a target must be explicitly selected when targets are defined in the Kluctl project',
    );
  } else if (loaded.noNameTarget) {
    target = loaded.noNameTarget;
  } else {
    throw new ProjectLoadError('missing no-name target, which is unexpected');
  }
  const context = opts.contextOverride ?? target.context;
  return { ...target, name: opts.nameOverride || target.name, ...(context !== undefined ? { context } : {}) };
}
