import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './test-agent';

/** Starting the app under ts-node takes a while on a busy 2-core machine. */
export const APP_PROCESS_START_MS = 90_000;

export interface AppProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The app as a separate operating-system process (`node src/main.ts`), as a deployment runs each
 * replica, with the test run's environment plus `env`; resolved once it answers /health/live.
 */
export async function spawnApp(env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(__dirname, '..', '..', 'src', 'main.ts')],
    {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
      return (await fetch(`${url}/health/live`)).ok;
    },
    { timeoutMs: APP_PROCESS_START_MS, intervalMs: 200, what: 'the app process to listen' },
  );
  return {
    child,
    url,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
