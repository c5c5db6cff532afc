/**
 * e2e specs: the real application on the real PostgreSQL and Redis of this machine.
 * globalSetup creates a fresh database and Redis key prefix for the run; globalTeardown drops them.
 */
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '.*\\.e2e-spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // jose (a dependency of @a2a-js/sdk) is ESM only; Node loads it with require(esm), Jest's
    // module loader cannot on Node 20, so it is compiled to CommonJS for the tests.
    '/node_modules/jose/.+\\.js$': [
      'ts-jest',
      { tsconfig: { allowJs: true }, isolatedModules: true },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
