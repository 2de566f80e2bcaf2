/**
 * State shared by jest's globalSetup, globalTeardown and the log reporter, which all run in jest's
 * main process but are loaded as separate modules: it lives on `globalThis`.
 */
import { join } from 'node:path';
import type { TestEnv } from './test-env.js';

/** The services of the current run and how to stop them. */
export interface TestRun {
  readonly env: TestEnv;
  /** True when KS_TEST_KUBECONFIG named an existing cluster (its test namespaces are deleted after the run). */
  readonly externalKube: boolean;
  stop(): Promise<void>;
}

const KEY = Symbol.for('kluctl-serverless.test-run');

/** Records the run started by the global setup. */
export function setTestRun(run: TestRun): void {
  (globalThis as Record<symbol, unknown>)[KEY] = run;
}

/** The run started by the global setup, if any, and forgets it. */
export function takeTestRun(): TestRun | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const run = g[KEY] as TestRun | undefined;
  delete g[KEY];
  return run;
}

/**
 * The file test/support/log-reporter.ts creates in the run dir when a test failed. The reporter cannot
 * import this module (jest loads reporters untransformed), so it repeats the name.
 */
export function failedMarker(runDir: string): string {
  return join(runDir, 'tests-failed');
}
