import { existsSync } from 'node:fs';

/**
 * The example's settings come from the environment, filled in from the file `register.ts` writes
 * (`agent.env` in the current directory, or the file AGENT_ENV_FILE names): a variable already set
 * in the environment wins over its line in the file.
 */
export const AGENT_ENV_FILE = process.env.AGENT_ENV_FILE ?? 'agent.env';

export function loadAgentEnv(): void {
  if (existsSync(AGENT_ENV_FILE)) process.loadEnvFile(AGENT_ENV_FILE);
}

/** The variable's value; stops the program, saying what to do, when it is not set. */
export function required(name: string, hint: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: ${hint}`);
    process.exit(2);
  }
  return value;
}

/** Where Ymera listens: YMERA_URL, http://localhost:3000 by default. */
export function ymeraUrl(): string {
  return (process.env.YMERA_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
}
