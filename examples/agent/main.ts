/**
 * The example agent: a word counter that Ymera sends `word-count` tasks to
 * (`npm run example:agent`, after `npm run example:register`). It verifies and answers each
 * message with sdk/agent.ts, as docs/agent-protocol.md describes, and keeps itself `active` with
 * heartbeats sent with its own agent token, which does not expire with its owner's session.
 *
 * Environment (agent.env fills in what is not set): YMERA_AGENT_TOKEN, YMERA_SIGNING_SECRET,
 * YMERA_URL (http://localhost:3000), PORT (8080), YMERA_HEARTBEAT_INTERVAL_S (20).
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AgentTaskError,
  createAgentHandler,
  createYmeraClient,
  unwrap,
  YmeraError,
} from '../../sdk';
import type { TaskDispatch } from '../../sdk/protocol';
import { loadAgentEnv, required, ymeraUrl } from './env';

loadAgentEnv();
const HINT = 'run `npm run example:register` first (README, "Quick start")';
const agentToken = required('YMERA_AGENT_TOKEN', HINT);
const signingSecret = required('YMERA_SIGNING_SECRET', HINT);
const port = Number(process.env.PORT ?? 8080);
// 20 s beats well within Ymera's default AGENT_HEARTBEAT_TTL_S of 60 s.
const heartbeatMs = Number(process.env.YMERA_HEARTBEAT_INTERVAL_S ?? 20) * 1000;

function log(message: string): void {
  console.log(`${new Date().toISOString()} word-counter: ${message}`);
}

/** The work: `word-count` counts the words, characters and lines of `parameters.text`. */
function doTask({ taskType, parameters }: TaskDispatch) {
  if (taskType !== 'word-count') {
    throw new AgentTaskError(`this agent does not do ${taskType}`, { retryable: false });
  }
  const { text } = parameters;
  if (typeof text !== 'string') {
    throw new AgentTaskError('parameters.text must be a string', { retryable: false });
  }
  return {
    words: text.split(/\s+/).filter(Boolean).length,
    characters: [...text].length,
    lines: text === '' ? 0 : text.split('\n').length,
  };
}

const handler = createAgentHandler({
  signingSecret,
  onTask: (task) => {
    const result = doTask(task);
    log(`task ${task.taskId} (attempt ${task.attempt}) done: ${JSON.stringify(result)}`);
    return result;
  },
  onCancel: ({ taskId, attempt }) => log(`task ${taskId} (attempt ${attempt}) cancelled`),
  onError: (error) => log(`failed: ${String(error)}`),
});

// The agent's own API, with its agent token: never its owner's credentials.
const ymera = createYmeraClient({ baseUrl: ymeraUrl(), token: agentToken });

async function beat(status: 'active' | 'inactive'): Promise<void> {
  try {
    const answer = unwrap(await ymera.POST('/api/v1/agent/heartbeat', { body: { status } }));
    log(`heartbeat accepted: ${answer.status}`);
  } catch (error) {
    // A refused token (401: the agent was deleted or its credentials rotated) needs a person.
    const why =
      error instanceof YmeraError
        ? `${error.status} ${error.code}: ${error.detail}`
        : String(error);
    log(`heartbeat failed: ${why}`);
  }
}

let timer: NodeJS.Timeout | undefined;
let stopping = false;

async function keepBeating(): Promise<void> {
  await beat('active');
  if (!stopping) timer = setTimeout(() => void keepBeating(), heartbeatMs);
}

const server = createServer(handler);
server.listen(port, '127.0.0.1', () => {
  log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  void keepBeating();
});

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  log(`${signal}: stopping`);
  // Inactive at once, so Ymera routes no more tasks here (rather than after the heartbeat TTL).
  await beat('inactive');
  server.close(() => {
    log('stopped');
    process.exit(0);
  });
  // Ymera keeps connections alive between dispatches: close those that carry no request.
  server.closeIdleConnections();
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
