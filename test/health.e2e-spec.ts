import { getQueueToken } from '@nestjs/bull';
import { NestApplicationContext } from '@nestjs/core';
import type { Queue } from 'bull';
import request from 'supertest';
import { HealthProbes } from '../src/health/health-probes';
import { stopper } from '../src/shutdown';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp } from './support/app';

/**
 * Closes the app as Nest's handler of that signal does (enableShutdownHooks); the signal parameter
 * is on the class, not on the INestApplication interface.
 */
function closeOn(t: TestApp, signal: NodeJS.Signals): Promise<void> {
  return (t.app as unknown as NestApplicationContext).close(signal);
}

describe('health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });

  afterAll(() => t.close());

  it('answers readiness with every dependency up', async () => {
    const response = await request(t.http).get('/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up' }, queue: { status: 'up' } },
    });
  });

  it('answers liveness without a token', async () => {
    await request(t.http).get('/health/live').expect(200, { status: 'ok' });
  });

  describe('a plain probe, answered ahead of Express', () => {
    /** Headers that differ between any two answers: when, which request, which connection. */
    const OF_THE_MOMENT = new Set(['date', 'x-request-id', 'connection', 'keep-alive']);

    /** What a client reads from an answer: its status, body and other headers. */
    function seen(response: request.Response) {
      const headers = Object.entries(response.headers).filter(([name]) => !OF_THE_MOMENT.has(name));
      return { status: response.status, body: response.body as unknown, headers };
    }

    it.each(['/health', '/health/live'])(
      '%s answers what the controller answers, headers included',
      async (path) => {
        const plain = await request(t.http).get(path);
        // A query string takes the probe through Express to HealthController.
        const throughExpress = await request(t.http).get(`${path}?via=express`);
        expect(seen(plain)).toEqual(seen(throughExpress));
        expect(plain.headers).toMatchObject({
          'content-type': 'application/json; charset=utf-8',
          'x-content-type-options': 'nosniff',
          'content-security-policy': expect.stringContaining("default-src 'self'"),
        });
      },
    );

    it('carries a request id, echoing a safe one from the client', async () => {
      const generated = await request(t.http).get('/health').expect(200);
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const echoed = await request(t.http)
        .get('/health')
        .set('X-Request-Id', 'probe-7')
        .expect(200);
      expect(echoed.headers['x-request-id']).toBe('probe-7');
    });

    it('is answered by the listener in front of Express', () => {
      const listeners = t.http.listeners('request');
      expect(listeners).toHaveLength(1);
      expect(listeners[0]).not.toBe(t.app.getHttpAdapter().getInstance());
    });
  });

  describe('at shutdown', () => {
    it('answers readiness 503 while it goes on serving for HEALTH_SHUTDOWN_DELAY_MS after SIGTERM', async () => {
      const app = await startApp({ HEALTH_SHUTDOWN_DELAY_MS: '1500' });
      await request(app.http).get('/health').expect(200);
      const started = Date.now();
      // As main.ts stops on SIGTERM: readiness turns 503 at the signal, then the app closes.
      const closed = new Promise<number>((resolve) =>
        stopper(app.app, app.config, app.app.get(HealthProbes), () =>
          resolve(Date.now() - started),
        )('SIGTERM'),
      );
      try {
        for (const path of ['/health', '/health?via=express']) {
          const response = await request(app.http).get(path).expect(503);
          expect(response.body).toMatchObject({ status: 'shutting_down' });
        }
        // Still serving meanwhile: liveness, and the API.
        await request(app.http).get('/health/live').expect(200, { status: 'ok' });
        await request(app.http).get('/api/v1/users/me').expect(401);
      } finally {
        expect(await closed).toBeGreaterThanOrEqual(1500);
      }
    });

    it('stops without the delay on another signal', async () => {
      const app = await startApp({ HEALTH_SHUTDOWN_DELAY_MS: '60000' });
      const started = Date.now();
      await closeOn(app, 'SIGINT');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  it('names Redis and the queue in a 503 when the app points at a Redis that is not there', async () => {
    const broken = await startApp({ REDIS_URL: 'redis://127.0.0.1:1/0' });
    try {
      const response = await request(broken.http).get('/health').expect(503);
      expect(response.body.status).toBe('error');
      expect(response.body.error).toHaveProperty('redis.status', 'down');
      expect(response.body.error).toHaveProperty('queue.status', 'down');
      expect(response.body.info).toHaveProperty('database.status', 'up');
    } finally {
      await broken.close();
    }
  });

  it('names the queue alone in a 503 once the readiness answer in use has expired', async () => {
    const app = await startApp({ HEALTH_READINESS_CACHE_MS: '500' });
    try {
      await request(app.http).get('/health').expect(200);
      const queue = app.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
      // Closed for good (no reconnection), while the app's other Redis connection stays up.
      queue.client.disconnect();
      // Within HEALTH_READINESS_CACHE_MS every probe gets the answer of the check that ran.
      await request(app.http).get('/health').expect(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const response = await request(app.http).get('/health').expect(503);
      expect(response.body).toMatchObject({
        status: 'error',
        error: { queue: { status: 'down', message: expect.stringContaining('tasks') } },
        info: { database: { status: 'up' }, redis: { status: 'up' } },
      });
    } finally {
      await app.close();
    }
  });
});
