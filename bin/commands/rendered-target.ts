/** Renders the project for a result-producing command and hands it over in the engine's shape. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpKubeClient } from '../../lib/adapters/http-kube-client.js';
import type { RenderedProject } from '../../lib/project/render-project.js';
import { clientForTarget, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';
import { stderrProgress } from './command-output.js';

export { commandProject } from '../../lib/deploy/commands/command-base.js';

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
