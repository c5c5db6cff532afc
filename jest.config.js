/** Unit specs beside the code they test: the service (src/) and the TypeScript library (sdk/). */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/sdk'],
  testRegex: '.*\\.spec\\.ts$',
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
};
