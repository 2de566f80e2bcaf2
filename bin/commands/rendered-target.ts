/**
 * Renders the project for a result-producing command and hands it over in the engine's shape; for the
 * commands that produce a command result, also stores, prints and checks that result.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { CommandResult } from '../../lib/deploy/command-result.js';
import { commandProject } from '../../lib/deploy/commands/command-base.js';
import type { CommandEnv, CommandProject } from '../../lib/deploy/commands/command-base.js';
import type { RenderedProject } from '../../lib/project/render-project.js';
import { clientForTarget, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';
import {
  cliCommandEnv,
  exitOnErrors,
  outputCommandResult,
  stderrProgress,
  writeCommandResult,
} from './command-output.js';
import type { OutputFlags } from './command-output.js';

/**
 * Connects to the target's cluster, renders into a temp dir (or `--render-output-dir`), runs `fn`,
 * and cleans up the client and the temp dir, also on errors.
 */
export async function withRenderedTarget<T>(
  flags: ProjectFlags,
  fn: (kube: HttpKubeClient, rendered: RenderedProject) => Promise<T>,
): Promise<T> {
  const kube = await clientForTarget(flags);
  const renderDir = flags.renderOutputDir ?? (await mkdtemp(join(tmpdir(), 'kluctl-serverless-render-')));
  try {
    stderrProgress.step('Rendering project');
    const rendered = await renderFromFlags({ ...flags, renderOutputDir: renderDir }, kube);
    stderrProgress.step(
      `Rendered ${rendered.objects.length} objects in ${rendered.items.length} deployment items`,
    );
    return await fn(kube, rendered);
  } finally {
    kube.close();
    if (!flags.renderOutputDir) await rm(renderDir, { recursive: true, force: true });
  }
}

/** Options of {@link runResultCommand}. */
export interface ResultCommandOptions {
  /** Store the result with `--write-command-result` (not for dry runs); `diff` never does. */
  readonly store: boolean;
}

/**
 * Runs a command that returns a command result on the rendered target, then stores the result (when
 * asked), prints it in every requested format, and fails the process when it has errors.
 */
export async function runResultCommand(
  flags: ProjectFlags & OutputFlags & { readonly dryRun?: boolean },
  opts: ResultCommandOptions,
  command: (env: CommandEnv, project: CommandProject, rendered: RenderedProject) => Promise<CommandResult>,
): Promise<void> {
  await withRenderedTarget(flags, async (kube, rendered) => {
    const r = await command(await cliCommandEnv(kube, flags), commandProject(rendered), rendered);
    if (opts.store && !flags.dryRun) await writeCommandResult(r, flags);
    await outputCommandResult(r, flags);
    exitOnErrors(r);
  });
}
