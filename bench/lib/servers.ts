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
 *   agent  the loopback no-op agent: answers every dispatch with {"result":{"ok":true}} at once.
 *
 *   node -r ts-node/register/transpile-only bench/lib/servers.ts <kind> <port>
 */
import * as http from 'node:http';
import { Pool } from 'pg';
import { ListTasksDto } from '../../src/tasks/dto/list-tasks.dto';
import { taskListAnswer, taskListStatements, TaskListRow } from '../../src/tasks/task-list.query';

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
  const pool = new Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DB_POOL_MAX ?? 20),
  });
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

const servers: Record<string, () => http.Server> = {
  empty: emptyServer,
  agent: agentServer,
  list: listServer,
};

const make = servers[kind];
if (!make || !Number.isInteger(port)) {
  process.stderr.write('usage: servers.ts empty|list|agent <port>\n');
  process.exit(2);
}
const server = make();
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
