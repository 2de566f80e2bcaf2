/**
 * jest globalSetup: starts the services of the run (test/support/run-services.ts). jest hands this file
 * to Node untransformed (the package is ESM, so ts-jest's require hook never sees it) and Node only
 * strips its types, which cannot resolve the `.js` imports of the TypeScript sources; tsx loads them.
 */
import type { Config } from '@jest/types';
import { tsImport } from 'tsx/esm/api';
import type * as RunServices from './run-services.js';

/** The Git identity of commits the tests make, where the machine has none configured. */
const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'kluctl-serverless tests',
  GIT_AUTHOR_EMAIL: 'tests@kluctl-serverless.invalid',
  GIT_COMMITTER_NAME: 'kluctl-serverless tests',
  GIT_COMMITTER_EMAIL: 'tests@kluctl-serverless.invalid',
};

/** Starts the test services unless only unit tests were selected. */
export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  // Commands under test commit (helm-update --commit); a fresh machine has no Git identity.
  for (const [k, v] of Object.entries(GIT_IDENTITY)) process.env[k] ??= v;
  const services = (await tsImport('./run-services.ts', import.meta.url)) as typeof RunServices;
  await services.startRunServices(globalConfig);
}
