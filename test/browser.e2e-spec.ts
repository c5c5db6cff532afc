import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Browser, chromium, Page } from 'playwright-core';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp } from './support/app';

/** Debian's chromium (.ci/run installs it): playwright-core downloads no browser of its own. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(__dirname, '..', 'test-artifacts');
const USER = 'ops';
const PASSWORD = `board-${randomUUID()}`;

jest.setTimeout(60_000);

/**
 * What the page reported as broken: script errors, CSP refusals, failed requests to the app. (Bull
 * Board's stylesheet asks Google Fonts for its typeface, which a machine without Internet access
 * cannot reach; the board does not need it.)
 */
function watchProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const offOrigin = message.location().url && !message.location().url.startsWith(origin);
    const csp = /Content Security Policy/i.test(message.text());
    if (message.type() === 'error' && (csp || !offOrigin)) {
      problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(origin)) problems.push(`failed: ${request.url()}`);
  });
  return problems;
}

describe('in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let origin: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does) ` +
          'to run the browser checks.',
      );
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startApp({
      BULL_BOARD_USER: USER,
      BULL_BOARD_PASSWORD: PASSWORD,
      // A queue of its own: on the run's shared queue other specs' delayed jobs (retries, runAt)
      // fill the board's delayed list, whose first page then need not show this spec's job.
      APP_ROLE: 'api',
      REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}-browser-queue`,
    });
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders the API documentation at /docs with its operations', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = watchProblems(page, origin);
      const response = await page.goto(`${origin}/docs`);
      expect(response?.status()).toBe(200);
      await page
        .locator('.opblock-summary-path', { hasText: /^\/api\/v1\/tasks$/ })
        .first()
        .waitFor();
      const paths = await page.locator('.opblock-summary-path').allTextContents();
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/v1/auth/register',
          '/api/v1/agents',
          '/api/v1/tasks',
          '/health',
        ]),
      );
      await expect(page.title()).resolves.toMatch(/Swagger UI|Ymera/);
      await page.screenshot({ path: join(ARTIFACTS, 'docs.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('keeps the token given to Authorize in Swagger UI across a reload of /docs', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const problems = watchProblems(page, origin);
      await page.goto(`${origin}/docs`);
      await page.locator('.auth-wrapper .authorize').click();
      // One form per bearer scheme (access token, API key, agent token): the access token's first.
      const accessToken = page.locator('.modal-ux .auth-container').first();
      await accessToken.locator('input[type="text"]').fill('token-from-the-login-answer');
      await accessToken.locator('.auth-btn-wrapper .authorize').click();
      await accessToken.locator('.btn-done').click();
      await page.locator('.auth-wrapper .authorize.locked').waitFor();

      await page.reload();
      await page.locator('.opblock-summary-path').first().waitFor();
      await page.locator('.auth-wrapper .authorize.locked').waitFor({ timeout: 5_000 });
      const stored = await page.evaluate<string | null>("localStorage.getItem('authorized')");
      expect(stored).toContain('token-from-the-login-answer');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('renders Bull Board with the tasks queue and its job counts', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    // A job no worker will take during the test: due in an hour, removed at the end.
    const job = await queue.add({ probe: randomUUID() }, { delay: 3_600_000 });
    const context = await browser.newContext({
      httpCredentials: { username: USER, password: PASSWORD },
    });
    try {
      const page = await context.newPage();
      const problems = watchProblems(page, origin);
      const response = await page.goto(`${origin}/admin/queues`);
      expect(response?.status()).toBe(200);
      await page.getByText('tasks', { exact: true }).first().waitFor();
      // The overview: one card per queue with its number of jobs, and a tab per state with counts.
      await page
        .getByText(/^\d+ Jobs?$/)
        .first()
        .waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board.png'), fullPage: true });
      const overview = await page.locator('body').innerText();
      expect(Number(/DELAYED\s+(\d+)/i.exec(overview)?.[1])).toBeGreaterThanOrEqual(1);
      // The queue's own page lists the delayed job.
      await page.goto(`${origin}/admin/queues/queue/tasks?status=delayed`);
      await page.getByText(`#${job.id}`).first().waitFor();
      await page.screenshot({ path: join(ARTIFACTS, 'bull-board-tasks.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      await job.remove();
    }
  });
});
