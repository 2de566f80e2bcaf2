/**
 * A jest reporter that leaves a marker in the test run's folder when any test or test file failed, so
 * the global teardown (which gets no results) knows to print and keep the server logs. jest loads
 * reporters without transforming them, so this file uses only erasable TypeScript (Node strips the
 * types) and imports nothing from this repository; the marker name repeats run-state.ts's.
 */
import type { AggregatedResult, Reporter } from '@jest/reporters';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes `<run dir>/tests-failed` when the run had failures. */
export default class LogReporter implements Pick<Reporter, 'onRunComplete'> {
  onRunComplete(_contexts: unknown, results: AggregatedResult): void {
    const envFile = process.env['KS_TEST_ENV_FILE'];
    if (!envFile) return;
    const failed =
      results.numFailedTests > 0 || results.numFailedTestSuites > 0 || results.numRuntimeErrorTestSuites > 0;
    if (failed) writeFileSync(join(dirname(envFile), 'tests-failed'), '');
  }
}
