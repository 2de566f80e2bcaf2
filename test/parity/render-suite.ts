/**
 * The jest body shared by the render parity files: every case of the given repositories rendered by
 * Kluctl and by ours, offline and against the test API server, one test per case and mode. The two
 * tools of a case run at the same time; cases run one after the other (2 cores, shared with others).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds, testEnv } from '../support/test-env.js';
import { kubeYamlReader } from './kube-yaml.js';
import type { ParityCase } from './projects.js';
import type { RenderMode } from './render-both.js';
import { caseReport } from './report.js';

/** Per case and mode; Kluctl renders the larger examples in 3-5 s, a cold first run (helm) takes longer. */
const CASE_TIMEOUT_MS = 120_000;

/** The mode for `kind`, reading the test env only when a test runs. */
function mode(kind: 'offline' | 'cluster'): RenderMode {
  return kind === 'offline' ? { kind } : { kind, kubeconfig: testEnv().kubeconfigPath, context: 'default' };
}

/** Declares the tests for `cases`; `cleanup` runs after them (the workspace's dispose). */
export function renderParitySuite(cases: readonly ParityCase[], cleanup: () => Promise<void>): void {
  let cacheDir = '';
  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'ks-parity-kluctl-cache-'));
    // Both tools look up the scope of KluctlDeployment objects (gitops-deployment renders some).
    await installCrds();
    await kubeYamlReader();
  }, 300_000);
  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
    await cleanup();
  });

  describe.each(['offline', 'cluster'] as const)('%s', (kind) => {
    it.each(cases.map((c) => [c.id, c] as const))(
      '%s renders the same objects, order and objects hash as Kluctl',
      async (_id, c) => {
        expect(await caseReport(c, mode(kind), cacheDir)).toBe('');
      },
      CASE_TIMEOUT_MS,
    );
  });
}
