import { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { AppConfig, loadConfig } from '../../src/config/app-config';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  http: ReturnType<NestExpressApplication['getHttpServer']>;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** Boots the real application, as main.ts does, on the run's database and Redis prefix. */
export async function startApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...overrides });
  const app = await createApp(config);
  await app.init();
  return {
    app,
    config,
    http: app.getHttpServer(),
    dataSource: app.get(DataSource),
    close: () => app.close(),
  };
}

let ipCounter = 0;

/**
 * A client address no other test uses (TEST-NET-3 and friends, by worker and counter), so the
 * per-IP auth rate limit of one test never spills into another.
 */
export function uniqueIp(): string {
  ipCounter += 1;
  const worker = Number(process.env.JEST_WORKER_ID ?? 1);
  return `10.${worker}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function uniqueName(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
