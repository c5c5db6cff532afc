/**
 * Registers the example agent with Ymera for a user, and writes the agent's credentials (shown
 * once by Ymera) to agent.env, where `main.ts` reads them: `npm run example:register`.
 *
 * Environment: YMERA_USERNAME and YMERA_PASSWORD (the owner), YMERA_URL (http://localhost:3000),
 * PORT (where the agent will listen, 8080), AGENT_ENV_FILE (agent.env).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createYmeraClient, login, unwrap, YmeraError } from '../../sdk';
import { AGENT_ENV_FILE, required, ymeraUrl } from './env';

async function main(): Promise<void> {
  const baseUrl = ymeraUrl();
  const username = required('YMERA_USERNAME', "the agent's owner, a user of Ymera");
  const password = required('YMERA_PASSWORD', "the owner's password");
  const port = process.env.PORT ?? '8080';
  const endpointUrl = `http://127.0.0.1:${port}/`;
  if (existsSync(AGENT_ENV_FILE)) {
    console.error(
      `${AGENT_ENV_FILE} exists: an agent was registered already. Start it with ` +
        '`npm run example:agent`, or remove the file to register another.',
    );
    process.exit(1);
  }

  const session = await login(baseUrl, username, password);
  const ymera = createYmeraClient({ baseUrl, token: session.accessToken });
  const agent = unwrap(
    await ymera.POST('/api/v1/agents', {
      body: {
        name: 'word-counter',
        description: 'The example agent of the Ymera repository (examples/agent)',
        capabilities: ['word-count'],
        endpointUrl,
        maxConcurrency: 4,
      },
    }),
  );
  const lines = [
    `YMERA_URL=${baseUrl}`,
    `YMERA_AGENT_ID=${agent.id}`,
    `YMERA_AGENT_TOKEN=${agent.agentToken}`,
    `YMERA_SIGNING_SECRET=${agent.signingSecret}`,
    `PORT=${port}`,
  ];
  // 'wx': never overwrite the credentials of an agent registered before; 0600: they are secrets.
  writeFileSync(AGENT_ENV_FILE, `${lines.join('\n')}\n`, { flag: 'wx', mode: 0o600 });
  console.log(`Registered agent ${agent.name} (${agent.id}) at ${endpointUrl}`);
  console.log(
    `Its agent token and signing secret are in ${AGENT_ENV_FILE}: keep that file private.`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof YmeraError && error.code === 'endpoint-refused') {
    console.error(
      `${error.detail}\nYmera must allow the agent's address: start it with ` +
        'AGENT_ENDPOINT_ALLOWLIST=127.0.0.1:8080 (README, "Quick start").',
    );
  } else {
    console.error(
      error instanceof YmeraError ? `${error.code ?? error.status}: ${error.detail}` : error,
    );
  }
  process.exit(1);
});
