import { cpus, totalmem } from 'node:os';
import { loadAverage } from './processes';

export interface Row {
  workload: string;
  rps?: number;
  p50?: number;
  p99?: number;
  errors?: number;
  peakRssMb?: number;
  /** CPU milliseconds per request of the process measured, and of PostgreSQL. */
  cpuMs?: number;
  pgCpuMs?: number;
  /** Ymera's req/s as a share of its ceiling's, and the ceiling's name. */
  ratio?: { of: string; value: number };
  note?: string;
  /** A ceiling's row: printed indented, never judged. */
  ceiling?: boolean;
}

export interface Target {
  name: string;
  measured: string;
  met: boolean | undefined;
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

export function printTable(title: string, rows: Row[]): void {
  const header = [
    'workload',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'peak RSS MB',
    'CPU ms/req',
    'pg ms/req',
    'vs ceiling',
  ];
  const body = rows.map((row) => [
    row.ceiling ? `  ${row.workload}` : row.workload,
    fixed(row.rps, 0),
    fixed(row.p50, 1),
    fixed(row.p99, 1),
    row.errors === undefined ? '-' : String(row.errors),
    fixed(row.peakRssMb, 0),
    fixed(row.cpuMs, 2),
    fixed(row.pgCpuMs, 2),
    row.ratio ? `${(100 * row.ratio.value).toFixed(0)}% of ${row.ratio.of}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const cells of body) console.log(line(cells));
  const notes = rows.filter((row) => row.note);
  if (notes.length) {
    console.log('');
    for (const row of notes) console.log(`  ${row.workload}: ${row.note}`);
  }
}

export function printTargets(targets: Target[]): void {
  if (!targets.length) return;
  console.log('\nTargets');
  const width = Math.max(...targets.map((t) => t.name.length));
  for (const target of targets) {
    const verdict = target.met === undefined ? 'n/a' : target.met ? 'met' : 'NOT MET';
    console.log(`  ${target.name.padEnd(width)}  ${target.measured.padEnd(28)} ${verdict}`);
  }
}

export function machineLine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version}, load average ${loadAverage()}`;
}
