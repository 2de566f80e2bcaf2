/**
 * jest globalTeardown: stops the services of the run and prints their logs after a failure
 * (test/support/run-services.ts). Loaded through tsx for the reason given in global-setup.ts.
 */
import { tsImport } from 'tsx/esm/api';
import type * as RunServices from './run-services.js';

/** Stops the test services started by the global setup. */
export default async function globalTeardown(): Promise<void> {
  const services = (await tsImport('./run-services.ts', import.meta.url)) as typeof RunServices;
  await services.stopRunServices();
}
