/**
 * `node -r ts-node/register/transpile-only scripts/check-config.ts`: validates the configuration
 * in the environment as the service will at start, before scripts/start.sh builds and migrates, so
 * a bad or missing variable stops it at once with the variable's name.
 */
import { loadConfig } from '../src/config/app-config';
import { ConfigError } from '../src/config/env-reader';

try {
  loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
