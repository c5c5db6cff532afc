import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './test-agent';

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

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** An application process listening on a loopback port of its own. */
export interface ListeningApp {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** SIGTERM, then its exit (within `timeoutMs`). */
  stop(timeoutMs?: number): Promise<Exit>;
}

/** spawnApp on a free port, resolved once it answers /health/live. */
export async function spawnListeningApp(env: Record<string, string>): Promise<ListeningApp> {
  const port = await freePort();
  const child = spawnApp({ ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
      return (await fetch(`${url}/health/live`)).ok;
    },
    { timeoutMs: PROCESS_START_TIMEOUT_MS, intervalMs: 200, what: 'the app process to listen' },
  );
  return {
    child,
    url,
    stop: (timeoutMs = EXIT_SLACK_MS) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exitOf(child, timeoutMs);
    },
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and answers its exit code and output. */
export function runCommand(
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
