/** `kluctl-serverless render`. */
import { stringify } from 'yaml';
import { clientForTarget, explicitContext, renderFromFlags } from './common.js';
import type { ProjectFlags } from './common.js';
import type { KubeObject } from '../../lib/ports.js';

/** Flags of `render` and `list-images`. */
export interface RenderFlags extends ProjectFlags {
  printAll?: boolean;
  offlineKubernetes?: boolean;
  /** Assumed Kubernetes version when offline (Helm's `kubeVersion`). */
  kubernetesVersion?: string;
}

/** Renders with the cluster when reachable (scopes, live images), else offline with a warning. */
export async function renderWithOptionalCluster<T>(
  flags: RenderFlags,
  use: (rendered: Awaited<ReturnType<typeof renderFromFlags>>) => T,
): Promise<T> {
  let kube: Awaited<ReturnType<typeof clientForTarget>> | undefined;
  if (!flags.offlineKubernetes) {
    const named = await explicitContext(flags);
    kube = await clientForTarget(flags).catch((err: unknown) => {
      // A context named by --context or the target must exist (Kluctl's TestRenderNoKubeconfig).
      if (named) throw err;
      // Without one, Kluctl renders offline: without the namespace fix-up that needs the cluster's scopes.
      process.stderr.write(
        `warning: No valid KUBECONFIG provided, which means the Kubernetes client is not available ` +
          `(${(err as Error).message}); rendering offline\n`,
      );
      return undefined;
    });
  }
  try {
    return use(await renderFromFlags(flags, kube));
  } finally {
    kube?.close();
  }
}

/** The `--print-all` output: every object as a YAML document, separated by `---`. */
export function printAllText(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** Renders and prints the objects (`--print-all`) or the render directory. */
export async function render(flags: RenderFlags): Promise<void> {
  await renderWithOptionalCluster(flags, (rendered) => {
    if (flags.printAll) {
      process.stdout.write(printAllText(rendered.objects));
    } else {
      process.stdout.write(`Rendered into ${rendered.renderDir}\n`);
      process.stderr.write(
        `${rendered.objects.length} objects in ${rendered.items.length} deployment items, objects hash ${rendered.objectsHash}\n`,
      );
    }
    for (const w of rendered.warnings) process.stderr.write(`warning: ${w}\n`);
  });
}
