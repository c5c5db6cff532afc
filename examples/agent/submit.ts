/**
 * Submits a `word-count` task as a user and waits for it to finish:
 * `npm run example:submit -- "some text"`. Environment: YMERA_USERNAME, YMERA_PASSWORD,
 * YMERA_URL (http://localhost:3000).
 */
import { createYmeraClient, login, YmeraError } from '../../sdk';
import { required, ymeraUrl } from './env';

async function main(): Promise<void> {
  const baseUrl = ymeraUrl();
  const username = required('YMERA_USERNAME', 'a user of Ymera, the owner of the agent');
  const password = required('YMERA_PASSWORD', "the user's password");
  const text = process.argv[2] ?? 'to be or not to be';

  const session = await login(baseUrl, username, password);
  const ymera = createYmeraClient({ baseUrl, token: session.accessToken });
  const task = await ymera.submitTask({
    name: 'Count words',
    taskType: 'word-count',
    parameters: { text },
  });
  console.log(`Submitted task ${task.id} (${task.status})`);
  const done = await ymera.waitForTask(task.id, { timeoutMs: 60_000, intervalMs: 500 });
  console.log(
    `Task ${done.id} ${done.status}:`,
    done.status === 'completed' ? JSON.stringify(done.result) : done.errorMessage,
  );
  if (done.status !== 'completed') process.exit(1);
}

main().catch((error: unknown) => {
  console.error(
    error instanceof YmeraError ? `${error.code ?? error.status}: ${error.detail}` : error,
  );
  process.exit(1);
});
