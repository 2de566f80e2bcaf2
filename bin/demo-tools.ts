/**
 * What `npm run demo` builds before it starts: the control plane it runs (etcd, kube-apiserver and
 * kubectl) and every tool the engine may call. Kept apart from demo.ts so a test can check the list
 * without starting the demo (the last round's demo missed helm and only passed on warm caches).
 */
import { toolBuildNames } from '../devenv/tools.js';
import { RUNTIME_TOOLS } from '../lib/runtime-tools.js';

/** scripts/ensure-tools.sh arguments of the demo. */
export const DEMO_TOOL_BUILDS: readonly string[] = toolBuildNames([
  'etcd',
  'kube-apiserver',
  'kubectl',
  ...RUNTIME_TOOLS,
]);
