import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CommandResult, runCommand } from './support/processes';

const ROOT = join(__dirname, '..');
/** What scripts/check-compose.sh reads. */
const FILES = [
  'docker-compose.yml',
  '.env.example',
  'package.json',
  '.node-version',
  'Dockerfile',
  'scripts/check-compose.sh',
  'scripts/check-compose-static.js',
];

/**
 * `npm run compose:check` on a machine without Docker: PATH holds node and dirname only, so neither
 * `docker compose` nor `docker-compose` can be found, whatever this machine has installed.
 */
function runWithoutDocker(dir: string, bin: string): Promise<CommandResult> {
  return runCommand('/bin/bash', [join(dir, 'scripts/check-compose.sh')], { env: { PATH: bin } });
}

describe('npm run compose:check without Docker', () => {
  let work: string;
  let bin: string;
  let dir: string;

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'ymera-compose-check-'));
    bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const dirname = ['/usr/bin/dirname', '/bin/dirname'].find((tool) => existsSync(tool));
    if (!dirname) throw new Error('dirname is needed by scripts/check-compose.sh');
    symlinkSync(dirname, join(bin, 'dirname'));
    // A copy of the repository's files, to break one at a time; js-yaml from its node_modules.
    dir = join(work, 'repo');
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    for (const file of FILES) copyFileSync(join(ROOT, file), join(dir, file));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });

  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const edit = (file: string, change: (text: string) => string) =>
    writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));

  it('runs the checks that need no Docker, and says plainly that compose checked nothing', async () => {
    const result = await runWithoutDocker(dir, bin);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('ok: docker-compose.yml parses (services: postgres, redis');
    expect(result.stdout).toMatch(
      /^ok: every variable docker-compose.yml uses is in .env.example \(.*POSTGRES_PASSWORD/m,
    );
    expect(result.stdout).toMatch(
      /^ok: Node\.js 24\.\d+\.\d+ \(\.node-version, within engines ">=24\.\d+ <25"\) in the images, by digest \(FROM node:24\.\d+\.\d+-slim@sha256:[0-9a-f]{64}\)$/m,
    );
    expect(result.stdout).toContain('NOT CHECKED BY COMPOSE');
    expect(result.stdout).not.toMatch(/skipped|is valid/);
  });

  it('fails on a variable .env.example does not document', async () => {
    edit('docker-compose.yml', (text) =>
      text.replace('REDIS_URL: redis://redis:6379/0', 'REDIS_URL: ${UNDOCUMENTED_REDIS_URL}'),
    );
    const result = await runWithoutDocker(dir, bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'FAIL: variables docker-compose.yml uses but .env.example does not document: UNDOCUMENTED_REDIS_URL',
    );
    expect(result.stdout).not.toContain('NOT CHECKED BY COMPOSE');
  });

  it('fails on an image whose Node.js is not the version of .node-version', async () => {
    edit('Dockerfile', (text) =>
      text.replace(/^FROM node:\S+ AS runtime$/m, 'FROM node:22-slim AS runtime'),
    );
    const result = await runWithoutDocker(dir, bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^FAIL: Node\.js other than \.node-version \(24\.\d+\.\d+\): FROM node:22-slim$/m,
    );
  });

  it('fails on a Node.js image, in the Dockerfile or the compose file, that is not pinned by digest', async () => {
    const pinned = readFileSync(join(dir, '.node-version'), 'utf8').trim();
    edit('Dockerfile', (text) =>
      text.replace(/^(FROM node:\S+)@sha256:[0-9a-f]+ AS build$/m, '$1 AS build'),
    );
    edit('docker-compose.yml', (text) =>
      text.replace('image: redis:7', `image: node:${pinned}-slim`),
    );
    const result = await runWithoutDocker(dir, bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAIL: Node.js images not pinned by digest (node:${pinned}-slim@sha256:<digest>): FROM node:${pinned}-slim; image: node:${pinned}-slim\n`,
    );
  });

  it('fails when .node-version is outside package.json engines', async () => {
    const pinned = readFileSync(join(dir, '.node-version'), 'utf8').trim();
    writeFileSync(join(dir, '.node-version'), '24.10.0\n');
    edit('Dockerfile', (text) => text.replaceAll(`FROM node:${pinned}-`, 'FROM node:24.10.0-'));
    const result = await runWithoutDocker(dir, bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^FAIL: \.node-version 24\.10\.0 is outside package\.json engines ">=24\.11 <25"\n$/,
    );
  });

  it('fails on a file that is not YAML', async () => {
    edit('docker-compose.yml', (text) => `${text}\n  broken: [unclosed\n`);
    const result = await runWithoutDocker(dir, bin);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FAIL: docker-compose.yml is not valid YAML');
  });
});
