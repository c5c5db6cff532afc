/**
 * Prints the psql script bench/explain.sh runs: for each statement, `\echo === <label>`, then
 * EXPLAIN (ANALYZE, BUFFERS) of it on the seeded data.
 *
 * The task lists are the very statements the service sends (src/tasks/task-list.query.ts): the
 * named ones explained with their generic plan, the one a pooled connection ends up reusing, the
 * others planned for their values as the service has them planned. The audit lists are what the query builder sends for them (src/audit/audit.service.ts
 * through paginate(): total, then page; a page reached by skip via its ids), written out here.
 *
 * Needs DATABASE_URL, BENCH_LARGE_ID, BENCH_LARGE_AGENT_ID, BENCH_LARGE_SIDE_AGENT_ID and
 * BENCH_SMALL_ID (bench/seed-database.ts prints them).
 */
import { Client } from 'pg';
import { ListTasksDto } from '../../src/tasks/dto/list-tasks.dto';
import { taskListStatements } from '../../src/tasks/task-list.query';
import { AuthenticatedUser } from '../../src/common/decorators/current-user.decorator';

const literal = (value: unknown) =>
  typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const one = async (sql: string, values: unknown[] = []) =>
    (await db.query<Record<string, string>>(sql, values)).rows[0];
  const owner = process.env.BENCH_LARGE_ID!;
  const actor = process.env.BENCH_SMALL_ID!;
  const agent = process.env.BENCH_LARGE_AGENT_ID!;
  const sideAgent = process.env.BENCH_LARGE_SIDE_AGENT_ID!;
  // What a client holds after reading page 4,999: the nextCursor of the page ending at item 499,899.
  const position = await one(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, id
       FROM tasks WHERE owner_id = $1 ORDER BY created_at DESC, id DESC OFFSET 499899 LIMIT 1`,
    [owner],
  );
  const cursor = Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
  const { resource_id: resource } = await one(
    `SELECT resource_id FROM audit_logs WHERE resource_type = 'task' ORDER BY timestamp DESC LIMIT 1`,
  );
  const { day_ago: dayAgo } = await one(`SELECT (now() - interval '1 day')::text AS day_ago`);
  await db.end();

  const user: AuthenticatedUser = {
    kind: 'user',
    id: owner,
    username: 'bench-large',
    role: 'user',
    credential: { type: 'jwt', expiresAt: null },
  };
  const admin: AuthenticatedUser = {
    kind: 'user',
    id: actor,
    username: 'admin',
    role: 'admin',
    credential: { type: 'jwt', expiresAt: null },
  };
  const lists: [string, AuthenticatedUser, Partial<ListTasksDto>][] = [
    ['tasks of 1,000,000: first page', user, {}],
    ['tasks of 1,000,000: page 5,000 by cursor', user, { cursor }],
    ['tasks of 1,000,000: skip=500000', user, { skip: 500_000 }],
    ['tasks: status=failed', user, { status: 'failed' }],
    ['tasks: status=failed, skip=20000', user, { status: 'failed', skip: 20_000 }],
    ['tasks: taskType=classify', user, { taskType: 'classify' }],
    ['tasks: agentId of the agent that ran 1%', user, { agentId: sideAgent }],
    ['tasks: agentId of the agent that ran 99%', user, { agentId: agent }],
    ['tasks (admin): first page', admin, {}],
  ];
  const script: string[] = [];
  const explain = (label: string, sql: string) =>
    script.push(`\\echo === ${label}`, `EXPLAIN (ANALYZE, BUFFERS) ${sql};`);
  let n = 0;
  const seenTotals = new Set<string>();
  for (const [label, who, params] of lists) {
    const query = Object.assign(new ListTasksDto(), { skip: 0, limit: 100 }, params);
    const { page, total } = taskListStatements(who, query);
    for (const [what, statement] of [
      ['page', page],
      ['total', total],
    ] as const) {
      const key = `${statement.text} ${JSON.stringify(statement.values)}`;
      if (what === 'total' && seenTotals.has(key)) continue;
      if (what === 'total') seenTotals.add(key);
      n += 1;
      // Named statements end up on their generic plan; the others are planned for their values.
      script.push(
        `SET plan_cache_mode = ${statement.name ? 'force_generic_plan' : 'force_custom_plan'};`,
        `PREPARE s${n} AS ${statement.text};`,
      );
      explain(
        `${label} (${what}${statement.name ? `: prepared ${statement.name}` : ''})`,
        statement.values.length
          ? `EXECUTE s${n}(${statement.values.map(literal).join(', ')})`
          : `EXECUTE s${n}`,
      );
    }
  }
  script.push('RESET plan_cache_mode;');

  const columns = `l.id, l.timestamp, l.actor_id, l.action, l.resource_type, l.resource_id,
    l.outcome, l.ip_address, l.user_agent, l.request_id, l.details`;
  const newest = 'ORDER BY l.timestamp DESC, l.id DESC';
  const audit: [string, string][] = [
    ['', ''],
    [' action=task.fail', `l.action = 'task.fail'`],
    [' actorId', `l.actor_id = ${literal(actor)}`],
    [
      ' resourceType+resourceId',
      `l.resource_type = 'task' AND l.resource_id = ${literal(resource)}`,
    ],
    [
      ' from/to (the hour before a day ago)',
      `l.timestamp >= ${literal(dayAgo)}::timestamptz - interval '1 hour' AND l.timestamp < ${literal(dayAgo)}`,
    ],
  ];
  for (const [label, condition] of audit) {
    const where = condition ? `WHERE ${condition}` : '';
    explain(
      `audit${label}: page`,
      `SELECT ${columns} FROM audit_logs l ${where} ${newest} LIMIT 101`,
    );
    explain(`audit${label}: total`, `SELECT COUNT(1) FROM audit_logs l ${where}`);
  }
  explain(
    'audit: skip=200000',
    `SELECT ${columns} FROM audit_logs l WHERE l.id IN (SELECT i.id FROM audit_logs i
       ORDER BY i.timestamp DESC, i.id DESC LIMIT 101 OFFSET 200000) ${newest} LIMIT 101`,
  );
  console.log(script.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
