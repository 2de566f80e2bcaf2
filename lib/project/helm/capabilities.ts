/** Helm's Capabilities from a live cluster: the server version and every group/version(/Kind). */
import type { KubeClient } from '../../ports.js';

/** `kubeVersion` and `apiVersions` for `helm template`, as Kluctl takes them from discovery. */
export async function helmCapabilities(
  kube: KubeClient,
): Promise<{ kubeVersion: string; apiVersions: string[] }> {
  const [kubeVersion, resources] = await Promise.all([kube.serverVersion(), kube.listResources()]);
  const out = new Set<string>();
  for (const r of resources) {
    const gv = r.group ? `${r.group}/${r.version}` : r.version;
    out.add(gv);
    out.add(`${gv}/${r.kind}`);
  }
  return { kubeVersion, apiVersions: [...out].sort() };
}
