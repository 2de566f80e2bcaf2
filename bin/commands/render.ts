/** `kluctl-serverless render`. */
import { stringify } from 'yaml';
import { renderProject } from '../../lib/project/render-project.js';
import { kubeClient, kustomizePath } from '../compose.js';
import { parseArgs } from './common.js';
import type { ProjectFlags } from './common.js';

/** Renders and prints the objects (`--print-all`) or the render directory. */
export async function render(
  flags: ProjectFlags & { printAll?: boolean; offlineKubernetes?: boolean },
): Promise<void> {
  const kube = flags.offlineKubernetes ? undefined : await kubeClient(flags).catch(() => undefined);
  try {
    const rendered = await renderProject({
      projectDir: flags.projectDir,
      ...(flags.target ? { target: flags.target } : {}),
      ...(flags.targetNameOverride ? { targetNameOverride: flags.targetNameOverride } : {}),
      ...(flags.context ? { contextOverride: flags.context } : {}),
      ...(flags.renderOutputDir ? { renderDir: flags.renderOutputDir } : {}),
      args: parseArgs(flags.arg),
      kustomizePath: kustomizePath(),
      ...(kube
        ? {
            isNamespaced: async (av: string, k: string) =>
              (await kube.resolve(av, k).catch(() => undefined))?.namespaced,
          }
        : {}),
    });
    if (flags.printAll) {
      process.stdout.write(rendered.objects.map((o) => stringify(o)).join('---\n'));
    } else {
      process.stdout.write(`Rendered into ${rendered.renderDir}\n`);
      process.stderr.write(
        `${rendered.objects.length} objects in ${rendered.items.length} deployment items, objects hash ${rendered.objectsHash}\n`,
      );
    }
  } finally {
    kube?.close();
  }
}
