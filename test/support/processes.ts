import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** Starting the application under ts-node takes a while on a busy 2-core machine. */
export const PROCESS_START_TIMEOUT_MS = 90_000;

/**
 * Added to a stopping process's own bound (src/shutdown.ts) when a test waits for it to exit: on a
 * loaded machine its timers fire late and its exit takes a while to be seen.
 */
export const EXIT_SLACK_MS = 20_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The application as a separate operating-system process: `node src/main.ts` with `env`. */
export function spawnApp(env: Record<string, string>): ChildProcess {
  const root = join(__dirname, '..', '..');
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** How the child ended; rejects when it is still running after `timeoutMs`. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      reject(new Error(`process ${child.pid} still running ${timeoutMs} ms later`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once('exit', onExit);
  });
}
