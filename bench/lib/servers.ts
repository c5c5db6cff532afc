/**
 * The servers a benchmark runs beside Ymera, each in a process of its own (so none shares an
 * event loop with the load generator):
 *
 *   empty  the framework-free HTTP ceiling: node:http, reads the body, answers a fixed JSON.
 *   list   the list ceiling: node:http and the service's TasksRepository.list over a DataSource of
 *          the service's pool size (the very statements Ymera runs for GET /api/v1/tasks) answering
 *          the same JSON. It trusts an X-Bench-Owner header where Ymera verifies a token.
 *   create the task creation ceiling: node:http, TasksRepository.insert (the task with its
 *          task.create record, one prepared statement) and the service's producer (TaskQueue,
 *          the job with the service's options), and the same 201 JSON: what Ymera does for POST
 *          /api/v1/tasks without Nest. It trusts X-Bench-Owner, validates nothing, limits no rate
 *          and dispatches nothing (no worker on its queue).
 *   agent  the loopback no-op agent: answers every dispatch with {"result":{"ok":true}} at once.
 *
 *   node -r ts-node/register/transpile-only bench/lib/servers.ts <kind> <port>
 */
import Bull from 'bull';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { bullRootOptions } from '../../src/queue/queue.module';
import { TaskQueue } from '../../src/queue/task-queue.service';
import { QueueName, TaskJobData } from '../../src/queue/tasks.queue';
import { CreateTaskDto } from '../../src/tasks/dto/create-task.dto';
import { ListTasksDto } from '../../src/tasks/dto/list-tasks.dto';
import { TaskDto } from '../../src/tasks/dto/task.dto';
import { TasksRepository } from '../../src/tasks/tasks.repository';
import { TaskEventsService } from '../../src/execution/task-events.service';

const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

function json(response: http.ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

function onBody(request: http.IncomingMessage, done: () => void): void {
  request.resume();
  request.on('end', done);
}

function readBody(request: http.IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => done(Buffer.concat(chunks).toString()));
}

/**
 * The service's configuration (DATABASE_URL, DB_POOL_MAX, REDIS_URL and REDIS_KEY_PREFIX come from
 * the benchmark; the secret is required by the configuration and used by nothing here).
 */
const config: AppConfig = loadConfig({
  ...process.env,
  JWT_SECRET: randomBytes(48).toString('base64'),
});

/** The service's task repository over a DataSource of its own, opened before the first request. */
function tasksRepository(): Promise<TasksRepository> {
  return new DataSource(dataSourceOptions(config.database))
    .initialize()
    .then((dataSource) => new TasksRepository(dataSource, new TaskEventsService(dataSource)));
}

function emptyServer(): http.Server {
  return http.createServer((request, response) =>
    onBody(request, () => json(response, 200, '{"status":"ok"}')),
  );
}

function agentServer(): http.Server {
  return http.createServer((request, response) =>
    onBody(request, () => json(response, 200, '{"result":{"ok":true}}')),
  );
}

function listServer(): http.Server {
  const tasks = tasksRepository();
  return http.createServer((request, response) => {
    onBody(request, () => {
      const url = new URL(request.url ?? '/', 'http://ceiling');
      if (url.pathname === '/ready') return json(response, 200, '{"status":"ok"}');
      const owner = request.headers['x-bench-owner'];
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 1000);
      const skip = Number(url.searchParams.get('skip') ?? 0);
      const cursor = url.searchParams.get('cursor');
      if (typeof owner !== 'string') return json(response, 400, '{"error":"owner"}');
      const query = Object.assign(new ListTasksDto(), { limit, skip, cursor: cursor ?? undefined });
      tasks
        .then((repository) =>
          repository.list(
            {
              kind: 'user',
              id: owner,
              username: '',
              role: 'user',
              credential: { type: 'jwt', expiresAt: null },
            },
            query,
          ),
        )
        .then((page) => json(response, 200, page))
        .catch((error: unknown) => json(response, 500, JSON.stringify({ error: String(error) })));
    });
  });
}

function createServer(): http.Server {
  const tasks = tasksRepository();
  const queue = new Bull<TaskJobData>(QueueName.Tasks, config.redis.url, bullRootOptions(config));
  const producer = new TaskQueue(queue, config);
  return http.createServer((request, response) => {
    readBody(request, (text) => {
      if (request.url === '/ready') return json(response, 200, '{"status":"ok"}');
      const owner = request.headers['x-bench-owner'];
      if (typeof owner !== 'string') return json(response, 400, '{"error":"owner"}');
      const dto = JSON.parse(text) as CreateTaskDto;
      const client = {
        ipAddress: request.socket.remoteAddress ?? null,
        userAgent: request.headers['user-agent'] ?? null,
        requestId: null,
      };
      tasks
        .then(async (repository) => {
          const { task } = await repository.insert(owner, dto, null, client);
          await producer.enqueue(task);
          json(response, 201, JSON.stringify(TaskDto.from(task)));
        })
        .catch((error: unknown) => json(response, 500, JSON.stringify({ error: String(error) })));
    });
  });
}

const servers: Record<string, () => http.Server> = {
  empty: emptyServer,
  agent: agentServer,
  list: listServer,
  create: createServer,
};

const make = servers[kind];
if (!make || !Number.isInteger(port)) {
  process.stderr.write('usage: servers.ts empty|list|create|agent <port>\n');
  process.exit(2);
}
const server = make();
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
