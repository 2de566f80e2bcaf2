/**
 * The demo must install every tool it and the engine run: a newcomer's first command runs on an empty
 * tool cache, where a missing entry only shows as "X is not installed" halfway through. This scans the
 * engine and CLI sources for the tools they resolve and checks the demo builds each.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_TOOL_BUILDS } from '../../bin/demo-tools.js';
import { toolBuildNames, type ToolName } from '../../devenv/tools.js';
import { RUNTIME_TOOLS } from '../../lib/runtime-tools.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Tools named in `runtimeToolPath('x'` / `toolPath('x'` calls of the engine (lib/), the CLI and runner
 * (bin/) and functions.
 */
function toolsResolvedBySources(): Set<string> {
  const found = new Set<string>();
  for (const dir of ['lib', 'bin', 'functions']) {
    for (const file of sources(join(ROOT, dir))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:runtimeToolPath|toolPath)\(\s*'([a-z-]+)'/g))
        found.add(m[1]!);
    }
  }
  return found;
}

describe('the demo builds every tool it runs', () => {
  it('finds the tools the sources resolve (the scan works)', () => {
    expect([...toolsResolvedBySources()]).toEqual(expect.arrayContaining(['kustomize', 'helm', 'sops']));
  });

  it.each([...toolsResolvedBySources()])('the engine resolves %s: it is a runtime tool', (tool) => {
    expect(RUNTIME_TOOLS).toContain(tool);
  });

  it('builds the control plane and every runtime tool', () => {
    const needed = toolBuildNames(['etcd', 'kube-apiserver', 'kubectl', ...(RUNTIME_TOOLS as ToolName[])]);
    expect([...DEMO_TOOL_BUILDS].sort()).toEqual([...needed].sort());
    expect(DEMO_TOOL_BUILDS).toEqual(expect.arrayContaining(['etcd', 'k8s', 'kustomize', 'helm', 'sops']));
  });
});
