/**
 * `.kluctl.yaml` (kluctl-semantics §1): parsed as plain YAML (not a template, §1.1) and decoded
 * strictly; only the fields Kluctl knows are accepted. A target's `images` are fixed images of its
 * render; `aws` is merged into the target (§1.2) and reported with it, but no AWS access uses it
 * (`awsSecretsManager` sources use their own `profile`, else the default credential chain).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProjectLoadError } from '../errors.js';
import { S, decodeYaml } from '../util/strict-yaml.js';
import type { Spec } from '../util/strict-yaml.js';
import { FIXED_IMAGE_SPEC } from '../images/fixed-images.js';
import type { FixedImage } from '../images/fixed-images.js';

/** `aws` of the project or a target (§1.2). */
export interface AwsConfig {
  readonly profile?: string;
  readonly serviceAccount?: { readonly name: string; readonly namespace: string };
}

/** A target as written in `.kluctl.yaml` (§1.3). */
export interface TargetConfig {
  readonly name?: string;
  readonly context?: string;
  readonly args?: Record<string, unknown>;
  readonly aws?: AwsConfig;
  readonly images?: readonly FixedImage[];
  readonly discriminator?: string;
}

/** A declared project argument (§1.5). `default` absent means the argument is required. */
export interface ArgDeclaration {
  readonly name: string;
  readonly default?: unknown;
  readonly hasDefault: boolean;
}

/** The decoded `.kluctl.yaml`. */
export interface KluctlProjectConfig {
  readonly targets: readonly TargetConfig[];
  readonly args: readonly ArgDeclaration[];
  readonly discriminator: string;
  readonly aws?: AwsConfig;
  /** The file it was read from, relative to the project dir; undefined when there is none (§1.7). */
  readonly file?: string;
}

const AWS: Spec = S.object({
  profile: S.string,
  serviceAccount: S.object({ name: S.string, namespace: S.string }),
});

const TARGET: Spec = S.object({
  name: S.string,
  context: S.string,
  args: S.map(S.any),
  aws: AWS,
  images: S.list(FIXED_IMAGE_SPEC),
  discriminator: S.string,
});

const ARG: Spec = S.object({ name: S.string, default: S.any });

const KLUCTL_PROJECT: Spec = S.object({
  targets: S.list(TARGET),
  args: S.list(ARG),
  discriminator: S.string,
  aws: AWS,
});

interface RawKluctlProject {
  targets?: (TargetConfig | null)[];
  args?: ({ name?: string; default?: unknown } | null)[];
  discriminator?: string;
  aws?: AwsConfig;
}

/** The config file names Kluctl accepts, in the order it looks for them (`.yml` first, then `.yaml`). */
const KLUCTL_CONFIG_NAMES = ['.kluctl.yml', '.kluctl.yaml'] as const;

/** Decodes `.kluctl.yaml` text. `file` names it in errors. */
export function parseKluctlProjectConfig(text: string, file: string): KluctlProjectConfig {
  const raw = decodeYaml<RawKluctlProject>(text, KLUCTL_PROJECT, file);
  const args = (raw.args ?? []).map((a, i): ArgDeclaration => {
    if (!a?.name) throw new ProjectLoadError(`args[${i}].name is required`, { file });
    // `default: null` is no default, as Kluctl's optional JSON field decodes it.
    return { name: a.name, default: a.default, hasDefault: a.default !== undefined };
  });
  return {
    targets: (raw.targets ?? []).map((t) => t ?? {}),
    args,
    discriminator: raw.discriminator ?? '',
    aws: raw.aws,
    file,
  };
}

/** Reads the project's `.kluctl.yml`/`.kluctl.yaml`; a project without one has no targets (§1.7). */
export function readKluctlProjectConfig(projectDir: string): KluctlProjectConfig {
  for (const name of KLUCTL_CONFIG_NAMES) {
    const path = join(projectDir, name);
    if (existsSync(path)) return parseKluctlProjectConfig(readFileSync(path, 'utf8'), name);
  }
  return { targets: [], args: [], discriminator: '' };
}
