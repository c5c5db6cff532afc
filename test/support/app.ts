import { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes, randomInt } from 'node:crypto';
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

const usedIps = new Set<string>();

/**
 * A client address no other test of the run uses, so the per-IP auth rate limit of one test never
 * spills into another. Drawn at random from 10.0.0.0/8 rather than counted: every spec file gets a
 * fresh module registry (a counter would restart at 1 in each file of a worker) while all of them
 * share the run's rate-limit counters in Redis.
 */
export function uniqueIp(): string {
  let ip: string;
  do {
    const n = randomInt(1, 2 ** 24 - 1);
    ip = `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
  } while (usedIps.has(ip));
  usedIps.add(ip);
  return ip;
}

export function uniqueName(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
