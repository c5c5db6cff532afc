import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { MetricsService } from '../src/metrics/metrics.service';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp, uniqueIp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (enough of it for our own metrics). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

function matches(sample: Sample, name: string, labels: Record<string, string>): boolean {
  return sample.name === name && Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const response = await request(t.http).get('/metrics').expect(200);
  return parseSamples(response.text);
}

/** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
async function valueOf(
  t: TestApp,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  return (await scrape(t))
    .filter((sample) => matches(sample, name, labels))
    .reduce((sum, sample) => sum + sample.value, 0);
}

describe('metrics', () => {
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    t = await startApp();
    user = await registerUser(t);
  });

  afterAll(() => t.close());

  it('serves the Prometheus text format without a token, with the process metrics', async () => {
    const response = await request(t.http).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(response.headers['cache-control']).toBe('no-store');
    const names = new Set(parseSamples(response.text).map((sample) => sample.name));
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('is not rate limited and not under the api prefix', async () => {
    const limited = await request(t.http)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(200);
    expect(limited.headers['x-ratelimit-limit']).toBeDefined();
    const response = await request(t.http).get('/metrics').expect(200);
    expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    await request(t.http).get('/api/metrics').expect(404);
    await request(t.http).get('/api/v1/metrics').expect(404);
  });

  it('counts requests by method, route template and status, with their duration', async () => {
    const labels = { method: 'GET', route: '/api/v1/users/me', status: '200' };
    const before = await valueOf(t, 'http_requests_total', labels);
    await request(t.http)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(200);
    await request(t.http)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(200);
    const samples = await scrape(t);
    const count = (name: string, extra: Record<string, string> = {}) =>
      samples.find((sample) => matches(sample, name, { ...labels, ...extra }))?.value;
    expect(count('http_requests_total')).toBe(before + 2);
    expect(count('http_request_duration_seconds_count')).toBe(before + 2);
    expect(count('http_request_duration_seconds_bucket', { le: '+Inf' })).toBe(before + 2);
    expect(count('http_request_duration_seconds_sum')).toBeGreaterThan(0);
  });

  it('counts probes under their route, answered ahead of Express or by it', async () => {
    for (const route of ['/health', '/health/live']) {
      const labels = { method: 'GET', route, status: '200' };
      const before = await valueOf(t, 'http_requests_total', labels);
      await request(t.http).get(route).expect(200);
      await request(t.http).get(`${route}?via=express`).expect(200);
      expect(await valueOf(t, 'http_requests_total', labels)).toBe(before + 2);
    }
  });

  it('labels parameterised routes with their template, never the raw path', async () => {
    const id = randomUUID();
    const labels = { method: 'GET', route: '/api/v1/agents/:id', status: '404' };
    const before = await valueOf(t, 'http_requests_total', labels);
    await request(t.http)
      .get(`/api/v1/agents/${id}`)
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(404);
    expect(await valueOf(t, 'http_requests_total', labels)).toBe(before + 1);
    const raw = (await scrape(t)).filter((sample) => sample.labels.route?.includes(id));
    expect(raw).toEqual([]);
  });

  it('counts requests refused by the auth guard and by validation', async () => {
    const unauthorized = { method: 'GET', route: '/api/v1/users/me', status: '401' };
    const invalid = { method: 'POST', route: '/api/v1/auth/login', status: '400' };
    const before401 = await valueOf(t, 'http_requests_total', unauthorized);
    const before400 = await valueOf(t, 'http_requests_total', invalid);
    await request(t.http).get('/api/v1/users/me').expect(401);
    await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', uniqueIp())
      .send({ username: 'ada', password: 'x', admin: true })
      .expect(400);
    expect(await valueOf(t, 'http_requests_total', unauthorized)).toBe(before401 + 1);
    expect(await valueOf(t, 'http_requests_total', invalid)).toBe(before400 + 1);
  });

  it('labels bodies refused before routing (malformed, too large) with the route meant', async () => {
    const labels = { method: 'POST', route: '/api/v1/auth/register' };
    const before400 = await valueOf(t, 'http_requests_total', { ...labels, status: '400' });
    const before413 = await valueOf(t, 'http_requests_total', { ...labels, status: '413' });
    await request(t.http)
      .post('/api/v1/auth/register')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400);
    await request(t.http)
      .post('/api/v1/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ username: 'x'.repeat(1024 * 1024 + 1) }))
      .expect(413);
    expect(await valueOf(t, 'http_requests_total', { ...labels, status: '400' })).toBe(
      before400 + 1,
    );
    expect(await valueOf(t, 'http_requests_total', { ...labels, status: '413' })).toBe(
      before413 + 1,
    );
  });

  it('labels a path parameter that is not valid percent-encoding with the route meant', async () => {
    const labels = { method: 'GET', route: '/api/v1/agents/:id', status: '400' };
    const before = await valueOf(t, 'http_requests_total', labels);
    await request(t.http).get('/api/v1/agents/%zz').expect(400);
    expect(await valueOf(t, 'http_requests_total', labels)).toBe(before + 1);
  });

  it('counts rate-limited requests (429)', async () => {
    const labels = { method: 'POST', route: '/api/v1/auth/login', status: '429' };
    const before = await valueOf(t, 'http_requests_total', labels);
    const ip = uniqueIp();
    let limited = 0;
    for (let i = 0; i <= t.config.throttle.authLimit; i += 1) {
      const response = await request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ username: 'nobody-at-all', password: 'not the password at all' });
      if (response.status === 429) limited += 1;
    }
    expect(limited).toBe(1);
    expect(await valueOf(t, 'http_requests_total', labels)).toBe(before + 1);
  });

  it('gives unknown paths one fixed route label, so cardinality stays bounded', async () => {
    const labels = { method: 'GET', route: 'unmatched', status: '404' };
    const before = await valueOf(t, 'http_requests_total', labels);
    const paths = [`/api/v1/${randomUUID()}`, `/${randomUUID()}/x`, '/api/v2/users/me'];
    for (const path of paths) await request(t.http).get(path).expect(404);
    await request(t.http)
      .delete('/api/v1/users/me')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(404);
    expect(await valueOf(t, 'http_requests_total', labels)).toBe(before + 3);
    expect(
      await valueOf(t, 'http_requests_total', { method: 'DELETE', route: 'unmatched' }),
    ).toBeGreaterThanOrEqual(1);
    const routes = new Set((await scrape(t)).map((sample) => sample.labels.route));
    for (const path of paths) expect(routes).not.toContain(path);
  });

  it('does not count the scrapes themselves', async () => {
    await scrape(t);
    await scrape(t);
    const routes = (await scrape(t)).map((sample) => sample.labels.route);
    expect(routes).not.toContain('/metrics');
  });

  it('reports the database pool of this process', async () => {
    await request(t.http)
      .get('/api/v1/users/me')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .expect(200);
    expect(await valueOf(t, 'db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(await valueOf(t, 'db_pool_max_connections')).toBe(t.config.database.poolMax);
    expect(await valueOf(t, 'db_pool_waiting_requests')).toBe(0);
    const samples = await scrape(t);
    expect(samples.find((s) => s.name === 'db_pool_idle_connections')).toBeDefined();
  });

  it('reports queries waiting for a connection when the pool is exhausted', async () => {
    // An api process: a worker's own periodic queries (reconciler, wake-ups of waiting tasks, A2A
    // card checks) would queue on its one connection too, and the count would not be this test's.
    const small = await startApp({ DB_POOL_MAX: '1', APP_ROLE: 'api' });
    const held = small.dataSource.createQueryRunner();
    try {
      await held.connect();
      const waiting = small.dataSource.query('SELECT 1');
      expect(await valueOf(small, 'db_pool_connections')).toBe(1);
      expect(await valueOf(small, 'db_pool_idle_connections')).toBe(0);
      expect(await valueOf(small, 'db_pool_waiting_requests')).toBe(1);
      await held.release();
      await waiting;
      expect(await valueOf(small, 'db_pool_waiting_requests')).toBe(0);
      expect(await valueOf(small, 'db_pool_idle_connections')).toBe(1);
    } finally {
      await held.release();
      await small.close();
    }
    // Pool gauges are shared objects in one process: each app reports its own pool, not the
    // last one scraped (nor a closed one).
    expect(await valueOf(t, 'db_pool_max_connections')).toBe(t.config.database.poolMax);
    expect(await valueOf(t, 'db_pool_connections')).toBeGreaterThanOrEqual(1);
  });

  it('exposes what MetricsService counts for tasks and dispatch', async () => {
    // Counters live in prom-client's global registry, shared by the apps of this process: deltas.
    const created = { status: 'created', type: 'e2e-summarise' };
    const failed = { status: 'failed', type: 'e2e-summarise' };
    const retryable = { outcome: 'retryable_error' };
    const before = {
      created: await valueOf(t, 'tasks_total', created),
      failed: await valueOf(t, 'tasks_total', failed),
      retryable: await valueOf(t, 'task_dispatch_duration_seconds_count', retryable),
    };
    const metrics = t.app.get(MetricsService);
    metrics.taskCounted('created', 'e2e-summarise');
    metrics.taskCounted('failed', 'e2e-summarise');
    metrics.dispatchObserved('retryable_error', 0.3);
    expect(await valueOf(t, 'tasks_total', created)).toBe(before.created + 1);
    expect(await valueOf(t, 'tasks_total', failed)).toBe(before.failed + 1);
    expect(await valueOf(t, 'task_dispatch_duration_seconds_count', retryable)).toBe(
      before.retryable + 1,
    );
  });

  describe('queue gauges', () => {
    const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused'];

    it('reports the jobs of the tasks queue by state, read from Redis at scrape time', async () => {
      // A queue of its own (a Redis prefix no other spec uses, no worker or reconciler in an api
      // process): other specs' retries are delayed jobs on the run's shared queue.
      const own = await startApp({
        APP_ROLE: 'api',
        REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}-metrics-queue`,
      });
      try {
        const queue = own.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
        const delayed = { queue: 'tasks', state: 'delayed' };
        const samples = await scrape(own);
        for (const state of STATES) {
          expect(
            samples.filter((s) => matches(s, 'bull_queue_jobs', { queue: 'tasks', state })),
          ).toHaveLength(1);
        }
        const before = await valueOf(own, 'bull_queue_jobs', delayed);
        // A job no worker will take during the test: due in an hour, removed at the end.
        const job = await queue.add({ probe: randomUUID() }, { delay: 3_600_000 });
        try {
          expect(await valueOf(own, 'bull_queue_jobs', delayed)).toBe(before + 1);
        } finally {
          await job.remove();
        }
        expect(await valueOf(own, 'bull_queue_jobs', delayed)).toBe(before);
      } finally {
        await own.close();
      }
    });

    it.each(['api', 'worker'])('are served by processes of role %s too', async (role) => {
      const other = await startApp({ APP_ROLE: role });
      try {
        const samples = await scrape(other);
        const states = samples
          .filter((s) => matches(s, 'bull_queue_jobs', { queue: 'tasks' }))
          .map((s) => s.labels.state)
          .sort();
        expect(states).toEqual([...STATES].sort());
      } finally {
        await other.close();
      }
    });

    it('leaves the queue series out, but still answers, when Redis is unreachable', async () => {
      const broken = await startApp({ REDIS_URL: 'redis://127.0.0.1:1/0' });
      try {
        const samples = await scrape(broken);
        expect(samples.filter((s) => s.name === 'bull_queue_jobs')).toEqual([]);
        expect(samples.find((s) => s.name === 'db_pool_max_connections')).toBeDefined();
      } finally {
        await broken.close();
      }
      // The next app scraped reports its queue again.
      const again = (await scrape(t)).filter((s) => s.name === 'bull_queue_jobs');
      expect(again).toHaveLength(STATES.length);
    });
  });
});
