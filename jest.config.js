// Four projects: `unit` (pure, no services), `integration` (real API server, S3, git; the default
// suite), `slow` (long scenarios, run by CI separately) and `parity` (the same inputs through the real
// Kluctl and ours, compared; run by CI separately). The control plane and services are started
// once per run by test/support/global-setup.ts (from the development environment in devenv/) and
// shared; each test takes its own namespace.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151001] } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};
export default {
  globalSetup: './test/support/global-setup.ts',
  globalTeardown: './test/support/global-teardown.ts',
  testTimeout: 60000,
  // log-reporter marks failed runs so the global teardown prints and keeps the server logs.
  reporters: ['default', '<rootDir>/test/support/log-reporter.ts'],
  projects: [
    // test/conformance compares the template engine with Python Jinja2 (no services): part of unit.
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/conformance/**/*.test.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'slow', testMatch: ['<rootDir>/test/slow/**/*.test.ts'] },
    // Side by side with the real Kluctl v2.28.2 (devenv/reference-kluctl.ts): `npm run test:parity`.
    { ...common, displayName: 'parity', testMatch: ['<rootDir>/test/parity/**/*.test.ts'] },
  ],
};
