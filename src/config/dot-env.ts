import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

export interface EnvWithDotEnv {
  env: NodeJS.ProcessEnv;
  /** The .env file read, or undefined when the directory has none. */
  file: string | undefined;
  /** Names whose value came from the file (the environment did not set them). */
  fromFile: ReadonlySet<string>;
}

/**
 * The environment completed with `<dir>/.env` the way scripts/start.sh reads it: a variable set in
 * the environment (even to '') wins over its line in the file (README, "Quick start"). The file
 * holds plain NAME=value lines, as .env.example does; it is parsed, never run as a shell script.
 */
export function withDotEnv(env: NodeJS.ProcessEnv, dir: string): EnvWithDotEnv {
  const file = join(dir, '.env');
  if (!existsSync(file)) return { env, file: undefined, fromFile: new Set() };
  const parsed = parseEnv(readFileSync(file, 'utf8'));
  const fromFile = new Set(Object.keys(parsed).filter((name) => env[name] === undefined));
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const name of fromFile) merged[name] = parsed[name];
  return { env: merged, file, fromFile };
}
