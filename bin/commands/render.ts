/** `kluctl-serverless render`. */
import { stringify } from 'yaml';
import { clientForTarget, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';

/** Renders and prints the objects (`--print-all`) or the render directory. */
export async function render(
  flags: ProjectFlags & { printAll?: boolean; offlineKubernetes?: boolean },
): Promise<void> {
  // Without a reachable cluster, render still works; namespaced kinds then come from a built-in table.
  const kube = flags.offlineKubernetes ? undefined : await clientForTarget(flags).catch(() => undefined);
  try {
    const rendered = await renderFromFlags(flags, kube);
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
