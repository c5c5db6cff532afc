import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { loadConfig } from './config/app-config';
import { shutdownBoundMs, StoppableApp, stopper } from './shutdown';
import { SHUTDOWN_GRACE_MS } from './execution/tasks.processor';

const JWT_SECRET = randomBytes(48).toString('base64');

function configOf(env: Record<string, string> = {}) {
  return loadConfig({ NODE_ENV: 'test', JWT_SECRET, ...env });
}

/** An app whose close() the test settles, and whose HTTP server listens until told otherwise. */
function fakeApp() {
  const server = { listening: true };
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const close = jest.fn(
    () =>
      new Promise<void>((resolve, reject) => {
        settle = { resolve, reject };
      }),
  );
  const app: StoppableApp = { close, getHttpServer: () => server };
  return { app, server, close, settle: () => settle! };
}

describe('shutdownBoundMs', () => {
  it('is the drain time plus 10 s: readiness delay after SIGTERM, the workers grace where they run', () => {
    const delayed = { HEALTH_SHUTDOWN_DELAY_MS: '5000' };
    expect(shutdownBoundMs(configOf({ ...delayed, APP_ROLE: 'api' }), 'SIGTERM')).toBe(15_000);
    expect(shutdownBoundMs(configOf({ ...delayed, APP_ROLE: 'worker' }), 'SIGTERM')).toBe(
      5000 + SHUTDOWN_GRACE_MS + 10_000,
    );
    expect(shutdownBoundMs(configOf({ ...delayed, APP_ROLE: 'all' }), 'SIGINT')).toBe(
      SHUTDOWN_GRACE_MS + 10_000,
    );
  });
});

describe('stopper', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    // What it logs is not under test here.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const config = configOf({ APP_ROLE: 'api' });
  const readiness = () => ({ shutDown: jest.fn() });

  it('turns readiness 503 at the signal, before the app starts closing', () => {
    const { app, close } = fakeApp();
    const probes = readiness();
    probes.shutDown.mockImplementation(() => expect(close).not.toHaveBeenCalled());
    stopper(app, config, probes, jest.fn())('SIGTERM');
    expect(probes.shutDown).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledWith('SIGTERM');
  });

  it('closes the app with the signal and exits 0 once it has closed', async () => {
    const { app, close, settle } = fakeApp();
    const exit = jest.fn();
    stopper(app, config, readiness(), exit)('SIGTERM');
    expect(close).toHaveBeenCalledWith('SIGTERM');
    settle().resolve();
    await jest.runAllTimersAsync();
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('exits 1 when closing failed', async () => {
    const { app, settle } = fakeApp();
    const exit = jest.fn();
    stopper(app, config, readiness(), exit)('SIGTERM');
    settle().reject(new Error('boom'));
    await jest.runAllTimersAsync();
    expect(exit.mock.calls).toEqual([[1]]);
  });

  it('exits 0 at the bound when the drain finished but connections are still closing', async () => {
    const { app, server } = fakeApp();
    const exit = jest.fn();
    stopper(app, config, readiness(), exit)('SIGTERM');
    server.listening = false;
    await jest.advanceTimersByTimeAsync(shutdownBoundMs(config, 'SIGTERM') - 1);
    expect(exit).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(exit.mock.calls).toEqual([[0]]);
  });

  it('exits 1 at the bound when the drain did not finish', async () => {
    const { app } = fakeApp();
    const exit = jest.fn();
    stopper(app, config, readiness(), exit)('SIGTERM');
    await jest.advanceTimersByTimeAsync(shutdownBoundMs(config, 'SIGTERM'));
    expect(exit.mock.calls).toEqual([[1]]);
  });

  it('closes once however many signals arrive', () => {
    const { app, close } = fakeApp();
    const stop = stopper(app, config, readiness(), jest.fn());
    stop('SIGTERM');
    stop('SIGINT');
    stop('SIGTERM');
    expect(close).toHaveBeenCalledTimes(1);
  });
});
