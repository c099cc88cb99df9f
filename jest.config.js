/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/realstack needs a real drachtio-server and FreeSWITCH: `npm run test:realstack`.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/realstack/'],
  // Type-checking is done once by tsc before jest runs (npm test); here TypeScript is only transpiled.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
