import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { roleRuns } from './app.module';
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
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${config.http.host}:${port}`;
  new Logger('Ymera').log(
    roleRuns(config.role).api
      ? `Listening on ${url}; API docs at ${url}/docs; stop with Ctrl-C (SIGTERM)`
      : `Worker listening on ${url} for /health and /metrics; stop with Ctrl-C (SIGTERM)`,
  );
}

void main();
