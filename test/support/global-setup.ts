/**
 * jest globalSetup: starts the services of the run (test/support/run-services.ts). jest hands this file
 * to Node untransformed (the package is ESM, so ts-jest's require hook never sees it) and Node only
 * strips its types, which cannot resolve the `.js` imports of the TypeScript sources; tsx loads them.
 */
import type { Config } from '@jest/types';
import { tsImport } from 'tsx/esm/api';
import type * as RunServices from './run-services.js';

/** Starts the test services unless only unit tests were selected. */
export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const services = (await tsImport('./run-services.ts', import.meta.url)) as typeof RunServices;
  await services.startRunServices(globalConfig);
}
