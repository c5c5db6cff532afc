import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function rssMb(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

/**
 * Peak resident memory of a process over a window. The kernel's high-water mark (VmHWM) is reset
 * at the start (writing 5 to /proc/<pid>/clear_refs) and read at the end; VmRSS is also sampled
 * every 100 ms, which is what remains where the reset is not permitted.
 */
export class PeakRss {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly hwmReset: boolean;

  constructor(private readonly pid: number) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
    this.timer.unref();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rssMb(this.pid) ?? 0);
  }

  /** Megabytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    const hwm = this.hwmReset ? (statusField(this.pid, 'VmHWM') ?? 0) : 0;
    return Math.max(this.peak, hwm);
  }
}

/** Processes spawned by a benchmark, stopped (by pid, with SIGTERM) when it ends. */
export class Children {
  private readonly children: ChildProcess[] = [];
  private stopping = false;

  spawn(command: string, args: string[], env: NodeJS.ProcessEnv, label: string): ChildProcess {
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      tail.push(chunk.toString());
      if (tail.length > 50) tail.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // BENCH_SERVICE_LOG=<file>: everything the service writes, for a look at its logs.
    if (label === 'ymera' && process.env.BENCH_SERVICE_LOG) {
      const log = createWriteStream(process.env.BENCH_SERVICE_LOG);
      child.stdout?.pipe(log);
      child.stderr?.pipe(log);
    }
    child.once('exit', (code, signal) => {
      if (!this.stopping) {
        process.stderr.write(`${label} exited with ${code ?? signal}:\n${tail.join('')}\n`);
      }
    });
    this.children.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.children.map((child) => stop(child)));
  }
}

export async function stop(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by PostgreSQL on this machine (other users' sessions included): every
 * postgres process's own time plus that of its exited children (backends that ended).
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.split(') ')[1].split(' ');
      // utime, stime, cutime, cstime: fields 14-17 of stat(5).
      total +=
        (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
      last = new Error(`${url} answered ${response.status}`);
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up: ${String(last)}`);
}

/** The machine's 1-minute load average, as `uptime` prints it. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}
