import { createApp } from './bootstrap';
import { loadConfig } from './config/app-config';
import { ConfigError } from './config/env-reader';
import { HealthProbes } from './health/health-probes';
import { exitOnStopSignals } from './shutdown';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const app = await createApp(config);
  exitOnStopSignals(app, config, app.get(HealthProbes));
  await app.listen(config.http.port, config.http.host);
}

void main();
