/**
 * Login latency: what argon2id costs a user at the door, and whether an unknown username costs
 * the same (so response times do not reveal which accounts exist).
 *
 *   npm run bench:login            (LOGINS=200 npm run bench:login for more samples)
 *
 * Boots the real app on a throwaway database and Redis prefix (the e2e harness), listening on a
 * local port, and logs in sequentially over HTTP.
 */
import { performance } from 'node:perf_hooks';
import { startApp, uniqueName } from '../test/support/app';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';

const LOGINS = Number(process.env.LOGINS ?? 50);
const WARM_UP = 5;
const PASSWORD = 'correct horse battery staple';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, x) => sum + x, 0) / samples.length;
  const f = (x: number) => x.toFixed(1).padStart(6);
  return `${label.padEnd(16)} n=${samples.length}  p50 ${f(percentile(sorted, 50))} ms  p95 ${f(percentile(sorted, 95))} ms  mean ${f(mean)} ms  min ${f(sorted[0])} ms  max ${f(sorted[sorted.length - 1])} ms`;
}

async function main(): Promise<void> {
  await globalSetup();
  const t = await startApp({ THROTTLE_AUTH_LIMIT: '1000000', LOG_LEVEL: 'silent' });
  try {
    await t.app.listen(0, '127.0.0.1');
    const base = await t.app.getUrl();
    const post = async (path: string, body: object, expected: number): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${base}/api/v1/auth/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      const elapsed = performance.now() - started;
      if (response.status !== expected) {
        throw new Error(`${path} answered ${response.status}, expected ${expected}`);
      }
      return elapsed;
    };

    const username = uniqueName('bench');
    await post('register', { username, email: `${username}@example.com`, password: PASSWORD }, 201);

    const runs = {
      'login (success)': { username, password: PASSWORD, status: 200 },
      'wrong password': { username, password: `${PASSWORD}!`, status: 401 },
      'unknown user': { username: uniqueName('ghost'), password: PASSWORD, status: 401 },
    };
    const results: Record<string, number[]> = {};
    for (const [label, { status, ...body }] of Object.entries(runs)) {
      for (let i = 0; i < WARM_UP; i += 1) await post('login', body, status);
      results[label] = [];
      for (let i = 0; i < LOGINS; i += 1) results[label].push(await post('login', body, status));
    }

    console.log(
      `Login latency over HTTP, ${LOGINS} sequential requests each (after ${WARM_UP} warm-up)`,
    );
    for (const [label, samples] of Object.entries(results)) console.log(summary(label, samples));
    const median = (label: string) =>
      percentile(
        [...results[label]].sort((a, b) => a - b),
        50,
      );
    const gap = median('unknown user') - median('wrong password');
    console.log(`unknown user vs wrong password, p50 difference: ${gap.toFixed(1)} ms`);
  } finally {
    await t.close();
    await globalTeardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
