/** Unit specs beside the code they test: the service (src/) and the TypeScript library (sdk/). */
module.exports = {
  rootDir: '.',
  roots: ['<rootDir>/src', '<rootDir>/sdk'],
  testRegex: '.*\\.spec\\.ts$',
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};
