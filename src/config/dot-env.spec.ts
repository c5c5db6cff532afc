import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDotEnv } from './dot-env';

describe('withDotEnv', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ymera-dotenv-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves the environment as it is where the directory has no .env', () => {
    const env = { A: '1' };
    expect(withDotEnv(env, dir)).toEqual({ env, file: undefined, fromFile: new Set() });
  });

  it('fills in what the environment does not set; the environment wins, even when empty', () => {
    writeFileSync(
      join(dir, '.env'),
      '# comment\nA=from-file\nB=from-file\nC=from-file\nD="quoted"\n',
    );
    const { env, file, fromFile } = withDotEnv({ A: 'given', C: '' }, dir);
    expect(env).toEqual({ A: 'given', B: 'from-file', C: '', D: 'quoted' });
    expect(file).toBe(join(dir, '.env'));
    expect(fromFile).toEqual(new Set(['B', 'D']));
  });
});
