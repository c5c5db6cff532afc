/**
 * The servers a benchmark runs beside Ymera, each in a process of its own (so none shares an
 * event loop with the load generator):
 *
 *   empty  the framework-free HTTP ceiling: node:http, reads the body, answers a fixed JSON.
 *   list   the list ceiling: node:http and a bare `pg` pool (the service's pool size) running the
 *          very statements Ymera runs for GET /api/v1/tasks (page and total at once, named prepared
 *          statements, as Ymera does) and answering the same JSON, both taken from
 *          src/tasks/task-list.query.ts.
 *          It trusts an X-Bench-Owner header where Ymera verifies a token.
 *   create the task creation ceiling: node:http, a bare `pg` pool and a Bull queue doing what
 *          Ymera does for POST /api/v1/tasks: the service's own insert of the task with its
 *          task.create record (one prepared statement), then the job added with the service's job
 *          options, and the same 201 JSON. It trusts X-Bench-Owner, validates nothing, limits no
 *          rate and dispatches nothing (no worker on its queue).
 *   agent  the loopback no-op agent: answers every dispatch with {"result":{"ok":true}} at once.
 *
 *   node -r ts-node/register/transpile-only bench/lib/servers.ts <kind> <port>
 */
import Bull from 'bull';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { Pool } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { bullRootOptions } from '../../src/queue/queue.module';
import { CreateTaskDto } from '../../src/tasks/dto/create-task.dto';
import { ListTasksDto } from '../../src/tasks/dto/list-tasks.dto';
import { TaskDto } from '../../src/tasks/dto/task.dto';
import { taskFromRow, TaskRow } from '../../src/tasks/entities/task.entity';
import { taskListAnswer, taskListStatements, TaskListRow } from '../../src/tasks/task-list.query';
import { taskJobData } from '../../src/queue/task-queue.service';
import { QUEUES, QueueName } from '../../src/queue/tasks.queue';
import { INSERT_TASK, insertTaskValues } from '../../src/tasks/tasks.service';

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

function pgPool(): Pool {
  return new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DB_POOL_MAX ?? 20),
  });
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
  const pool = pgPool();
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
      const { page, total } = taskListStatements({ id: owner, username: '', role: 'user' }, query);
      Promise.all([pool.query<TaskListRow>(page), pool.query<{ total: string }>(total)])
        .then(([{ rows }, counted]) => {
          json(response, 200, taskListAnswer(rows, Number(counted.rows[0].total), query));
        })
        .catch((error: unknown) => json(response, 500, JSON.stringify({ error: String(error) })));
    });
  });
}

function createServer(): http.Server {
  const pool = pgPool();
  // The service's configuration, for its queue options (REDIS_URL and REDIS_KEY_PREFIX come from
  // the benchmark; the secret is required by the configuration and used by nothing here).
  const config = loadConfig({ ...process.env, JWT_SECRET: randomBytes(48).toString('base64') });
  const queue = new Bull(QueueName.Tasks, config.redis.url, bullRootOptions(config));
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
      pool
        .query<TaskRow>({ ...INSERT_TASK, values: insertTaskValues(owner, dto, null, client) })
        .then(async ({ rows: [row] }) => {
          const task = taskFromRow(row);
          await queue.add(taskJobData(task), QUEUES[QueueName.Tasks].jobOptions(task, config));
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
