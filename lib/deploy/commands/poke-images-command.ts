/**
 * The `poke-images` command as data (kluctl-semantics §7.11): the images the render resolved are set
 * into the live objects (lib/deploy/poke-images.ts), and the outcome is a command result like every
 * other command's, so the CLI and the controller's `deployMode: poke-images` report it the same way.
 */
import type { CommandResult } from '../command-result.js';
import { collectResultObjects } from '../diff/collect-objects.js';
import { pokeImages } from '../poke-images.js';
import type { PokeImagesInput } from '../poke-images.js';
import type { CommandEnv, CommandProject } from './command-base.js';
import { finishCommandResult, ignoreRulesByObject, newCommandResult, progressOf } from './command-base.js';

/** Options of {@link runPokeImages}. */
export interface PokeImagesCommandOptions {
  /** Server-side dry run of the updates. */
  readonly dryRun?: boolean;
}

/**
 * `poke-images`: `project` is the rendered target as every command takes it, `images` what the render
 * resolved (a RenderedProject serves as both).
 */
export async function runPokeImages(
  env: CommandEnv,
  project: CommandProject,
  images: PokeImagesInput,
  opts: PokeImagesCommandOptions = {},
): Promise<CommandResult> {
  const header = await newCommandResult(env, project, 'poke-images', project.discriminator);
  const out = await pokeImages(env.kube, images, {
    dryRun: opts.dryRun ?? false,
    progress: progressOf(env),
  });
  return finishCommandResult(
    {
      ...header,
      command: { ...header.command, ...(opts.dryRun ? { dryRun: true } : {}) },
      // Project ignoreForDiff rules and kluctl.io/diff-name apply to the changes here too.
      objects: collectResultObjects(out.objects, { rulesFor: ignoreRulesByObject(project) }),
    },
    env,
    out,
  );
}
