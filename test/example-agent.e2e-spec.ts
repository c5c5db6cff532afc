import { JwtService } from '@nestjs/jwt';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { exitOf, freePort, PROCESS_START_TIMEOUT_MS, runCommand } from './support/processes';
import { waitFor } from './support/test-agent';

/**
 * The README's quick start, as processes: examples/agent/register.ts registers the example agent
 * for a user, examples/agent/main.ts serves it (sdk/agent.ts) and beats with its own agent token,
 * examples/agent/submit.ts submits a task that it completes. The agent never holds its owner's
 * credentials, so it keeps beating after the owner's access token expired.
 */
const ROOT = join(__dirname, '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];

/** A running example agent and what it printed so far. */
interface AgentProcess {
  child: ChildProcess;
  lines: string[];
}

function startAgent(env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [...TS_NODE, 'examples/agent/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop()!;
    lines.push(...complete);
  });
  return { child, lines };
}

describe('The example agent (examples/agent), as the README runs it', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let baseUrl: string;
  let owner: RegisteredUser;
  let dir: string;
  let agent: AgentProcess | undefined;
  let userEnv: Record<string, string>;
  let agentEnv: Record<string, string>;

  const heartbeats = () =>
    agent!.lines.filter((line) => line.includes('heartbeat accepted: active'));

  async function getAgent(id: string) {
    const response = await request(t.http)
      .get(`/api/v1/agents/${id}`)
      .auth(owner.accessToken, { type: 'bearer' })
      .expect(200);
    return response.body as { status: string; lastHeartbeat: string | null };
  }

  beforeAll(async () => {
    // Its own database and queue: the agent lives on loopback, which this app alone allows.
    iso = await isolatedEnv('example_agent');
    t = await startApp({ ...iso.env, AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1' });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    owner = await registerUser(t);
    dir = mkdtempSync(join(tmpdir(), 'ymera-example-agent-'));
    userEnv = {
      PATH: process.env.PATH ?? '',
      YMERA_URL: baseUrl,
      YMERA_USERNAME: owner.username,
      YMERA_PASSWORD: owner.password,
    };
    agentEnv = { AGENT_ENV_FILE: join(dir, 'agent.env') };
  }, PROCESS_START_TIMEOUT_MS);

  afterAll(async () => {
    if (agent && agent.child.exitCode === null) {
      agent.child.kill('SIGKILL');
      await exitOf(agent.child, 10_000);
    }
    await t?.close();
    await iso?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'is registered by register.ts, which keeps its credentials in a private file, not the owner’s',
    async () => {
      const port = await freePort();
      const registered = await runCommand(
        process.execPath,
        [...TS_NODE, 'examples/agent/register.ts'],
        { cwd: ROOT, env: { ...userEnv, ...agentEnv, PORT: String(port) } },
      );
      expect(registered).toMatchObject({ code: 0, stderr: '' });
      expect(registered.stdout).toContain(`at http://127.0.0.1:${port}/`);

      const file = readFileSync(agentEnv.AGENT_ENV_FILE, 'utf8');
      expect(statSync(agentEnv.AGENT_ENV_FILE).mode & 0o777).toBe(0o600);
      const values = Object.fromEntries(
        file
          .trim()
          .split('\n')
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      ) as Record<string, string>;
      expect(Object.keys(values).sort()).toEqual([
        'PORT',
        'YMERA_AGENT_ID',
        'YMERA_AGENT_TOKEN',
        'YMERA_SIGNING_SECRET',
        'YMERA_URL',
      ]);
      expect(values.YMERA_AGENT_TOKEN).toMatch(/^ymra_/);
      expect(file).not.toContain(owner.password);
      expect(await getAgent(values.YMERA_AGENT_ID)).toMatchObject({ status: 'inactive' });

      // Registering again would lose nothing: the file is never overwritten.
      const again = await runCommand(process.execPath, [...TS_NODE, 'examples/agent/register.ts'], {
        cwd: ROOT,
        env: { ...userEnv, ...agentEnv },
      });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('exists');
      expect(readFileSync(agentEnv.AGENT_ENV_FILE, 'utf8')).toBe(file);
      agentEnv.YMERA_AGENT_ID = values.YMERA_AGENT_ID;
    },
    PROCESS_START_TIMEOUT_MS,
  );

  it(
    'becomes active with its own heartbeats and completes a task submit.ts sends',
    async () => {
      // Only the file register.ts wrote: no user name, password or access token.
      agent = startAgent({
        AGENT_ENV_FILE: agentEnv.AGENT_ENV_FILE,
        YMERA_HEARTBEAT_INTERVAL_S: '0.5',
      });
      await waitFor(() => heartbeats().length >= 1, {
        timeoutMs: PROCESS_START_TIMEOUT_MS,
        intervalMs: 100,
        what: 'the example agent to beat',
      });
      expect(await getAgent(agentEnv.YMERA_AGENT_ID)).toMatchObject({ status: 'active' });

      const submitted = await runCommand(
        process.execPath,
        [...TS_NODE, 'examples/agent/submit.ts', 'to be or not to be'],
        { cwd: ROOT, env: userEnv },
      );
      expect(submitted).toMatchObject({ code: 0, stderr: '' });
      const [, taskId, result] = /Task ([0-9a-f-]{36}) completed: (.*)/.exec(submitted.stdout)!;
      expect(submitted.stdout).toContain(`Submitted task ${taskId}`);
      expect(JSON.parse(result)).toEqual({ words: 6, characters: 18, lines: 1 });

      const task = await request(t.http)
        .get(`/api/v1/tasks/${taskId}`)
        .auth(owner.accessToken, { type: 'bearer' })
        .expect(200);
      expect(task.body).toMatchObject({
        status: 'completed',
        agentId: agentEnv.YMERA_AGENT_ID,
        result: { words: 6, characters: 18, lines: 1 },
      });
      expect(agent.lines.some((line) => line.includes(`task ${taskId} (attempt 1) done`))).toBe(
        true,
      );
    },
    PROCESS_START_TIMEOUT_MS,
  );

  it("keeps beating after its owner's access token expired", async () => {
    const expired = new JwtService({ secret: t.config.jwt.secret }).sign(
      { sub: owner.id, username: owner.username, role: 'user' },
      { algorithm: 'HS256', expiresIn: -10 },
    );
    const refused = await request(t.http)
      .get('/api/v1/users/me')
      .auth(expired, { type: 'bearer' })
      .expect(401);
    expect(refused.body.type).toBe('urn:ymera:problem:token-expired');

    const before = (await getAgent(agentEnv.YMERA_AGENT_ID)).lastHeartbeat!;
    const seen = heartbeats().length;
    await waitFor(() => heartbeats().length >= seen + 2, { what: 'two more heartbeats' });
    const after = await getAgent(agentEnv.YMERA_AGENT_ID);
    expect(after.status).toBe('active');
    expect(Date.parse(after.lastHeartbeat!)).toBeGreaterThan(Date.parse(before));
    expect(agent!.lines.filter((line) => line.includes('heartbeat failed'))).toEqual([]);
  });

  it('stops cleanly on SIGTERM, inactive at once so no more tasks are routed to it', async () => {
    agent!.child.kill('SIGTERM');
    expect(await exitOf(agent!.child, 20_000)).toEqual({ code: 0, signal: null });
    expect(agent!.lines.some((line) => line.includes('heartbeat accepted: inactive'))).toBe(true);
    expect(await getAgent(agentEnv.YMERA_AGENT_ID)).toMatchObject({ status: 'inactive' });
  });
});
