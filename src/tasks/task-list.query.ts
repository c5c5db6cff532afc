import { DataSource } from 'typeorm';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { decodeCursor, encodeCursor } from '../common/pagination/page';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TaskDto } from './dto/task.dto';
import { preparedQuery } from '../database/prepared-query';

/**
 * GET /api/v1/tasks in SQL written for it rather than built by the query builder, because it is the
 * most requested list and its cost is mostly per row:
 * - PostgreSQL writes each task's JSON (row_to_json, field for field the TaskDto) and the answer is
 *   assembled from those texts, instead of parsing twenty columns per row into JavaScript values
 *   and serialising them again;
 * - the unfiltered lists (an owner's tasks, or every task for admins) are named prepared
 *   statements, planned once per connection; filtered ones are planned for their values each time,
 *   since one plan cannot suit every filter value on skewed data (an agent that ran a million
 *   tasks, or ten);
 * - the total comes from the owner's maintained count (task_counts) unless a filter asks for a
 *   count of its own;
 * - a page reached by skip is found among ids first (see pageStatement).
 */

/** A timestamptz exactly as Date#toISOString writes it (milliseconds, UTC), made by PostgreSQL. */
const iso = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * How PostgreSQL writes each field of a TaskDto, over the tasks row `t`: one entry per field, so a
 * field added to TaskDto without its SQL here does not compile. Written in TaskDto.from's order;
 * task-list.query.spec.ts holds both to the same fields in the same order, and the tasks e2e
 * suite compares both forms of the same task field for field.
 */
export const TASK_DTO_SQL: { readonly [Field in keyof TaskDto]-?: string } = {
  id: 't.id',
  ownerId: 't.owner_id',
  agentId: 'COALESCE(t.agent_id, t.requested_agent_id)',
  name: 't.name',
  description: 't.description',
  taskType: 't.task_type',
  parameters: 't.parameters',
  priority: 't.priority',
  status: 't.status',
  result: 't.result',
  errorMessage: 't.error_message',
  attempts: 't.attempts',
  maxAttempts: 't.max_attempts',
  createdAt: iso('t.created_at'),
  updatedAt: iso('t.updated_at'),
  startedAt: iso('t.started_at'),
  completedAt: iso('t.completed_at'),
  runAt: iso('t.run_at'),
};

/** One task's answer, a TaskDto as JSON text. */
const ITEM_COLUMNS = `(SELECT row_to_json(a)::text FROM (SELECT ${Object.entries(TASK_DTO_SQL)
  .map(([field, sql]) => `${sql} AS "${field}"`)
  .join(', ')}) a) AS item`;

const NEWEST_FIRST = (alias: string) => `ORDER BY ${alias}.created_at DESC, ${alias}.id DESC`;

export interface TaskListRow {
  /** The TaskDto as JSON text. */
  item: string;
}

export interface Statement {
  /** Set for statements run as named prepared statements. */
  name?: string;
  text: string;
  values: unknown[];
}

/**
 * The WHERE conditions of a list (without the cursor) over `alias`, with their parameters appended
 * to `values`, and a key naming which conditions there are (part of the statement names).
 */
function filters(
  actor: AuthenticatedUser,
  query: ListTasksDto,
  alias: string,
  values: unknown[],
): { where: string[]; key: string } {
  const where: string[] = [];
  let key = '';
  const param = (value: unknown) => `$${values.push(value)}`;
  if (actor.role !== 'admin') {
    where.push(`${alias}.owner_id = ${param(actor.id)}`);
    key += 'o';
  }
  if (query.status) {
    where.push(`${alias}.status = ${param(query.status)}`);
    key += 's';
  }
  if (query.taskType) {
    where.push(`${alias}.task_type = ${param(query.taskType)}`);
    key += 't';
  }
  if (query.agentId) {
    // The agent shown as agentId: the one that ran it, or until then the one it names.
    const agent = param(query.agentId);
    where.push(
      `(${alias}.agent_id = ${agent} OR (${alias}.agent_id IS NULL AND ${alias}.requested_agent_id = ${agent}))`,
    );
    key += 'a';
  }
  return { where, key };
}

const whereClause = (conditions: string[]) =>
  conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';

/**
 * Up to limit + 1 rows. A page reached by skip is found among ids alone first (walking the
 * (owner_id, created_at, id) index, index-only where the table is vacuumed), then only its rows are
 * read, rather than reading and discarding every skipped row.
 */
function pageStatement(actor: AuthenticatedUser, query: ListTasksDto): Statement {
  const values: unknown[] = [];
  const alias = query.skip > 0 ? 'i' : 't';
  const { where, key } = filters(actor, query, alias, values);
  let name = `ymera_tasks_page_${key}`;
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    values.push(position.at, position.id);
    where.push(
      `(${alias}.created_at, ${alias}.id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`,
    );
    name += 'c';
  }
  const limit = `$${values.push(query.limit + 1)}`;
  const prepared = key === 'o' || key === '';
  if (query.skip === 0) {
    return {
      name: prepared ? name : undefined,
      text: `SELECT ${ITEM_COLUMNS} FROM tasks t ${whereClause(where)} ${NEWEST_FIRST('t')}
              LIMIT ${limit}`,
      values,
    };
  }
  const offset = `$${values.push(query.skip)}`;
  return {
    name: prepared ? `${name}_skip` : undefined,
    text: `SELECT ${ITEM_COLUMNS} FROM tasks t
            WHERE t.id IN (SELECT i.id FROM tasks i ${whereClause(where)} ${NEWEST_FIRST('i')}
                            OFFSET ${offset} LIMIT ${limit})
            ${NEWEST_FIRST('t')}`,
    values,
  };
}

/** The list's total: the maintained counts when only ownership narrows it, a count otherwise. */
function totalStatement(actor: AuthenticatedUser, query: ListTasksDto): Statement {
  const values: unknown[] = [];
  const { where, key } = filters(actor, query, 't', values);
  if (key === 'o' || key === '') {
    return {
      name: `ymera_tasks_total_${key}`,
      text: `SELECT COALESCE(sum(c.tasks), 0)::bigint AS total FROM task_counts c
              ${key === 'o' ? 'WHERE c.owner_id = $1' : ''}`,
      values,
    };
  }
  return {
    text: `SELECT count(*) AS total FROM tasks t ${whereClause(where)}`,
    values,
  };
}

/** The two statements behind a list: its page (up to limit + 1 rows) and its total. */
export function taskListStatements(
  actor: AuthenticatedUser,
  query: ListTasksDto,
): { page: Statement; total: Statement } {
  return { page: pageStatement(actor, query), total: totalStatement(actor, query) };
}

/**
 * The answer, serialised: the JSON of a Page<TaskDto> ({ items, total, skip, limit, nextCursor })
 * around the items PostgreSQL wrote. Everything else in it is a number or a base64url cursor:
 * nothing to escape.
 */
export function taskListAnswer(
  rows: TaskListRow[],
  total: number,
  query: Pick<ListTasksDto, 'skip' | 'limit'>,
): string {
  const hasMore = rows.length > query.limit;
  const items = hasMore ? rows.slice(0, query.limit) : rows;
  const last = items[items.length - 1];
  let nextCursor = 'null';
  if (hasMore && last) {
    // The page ends at its last item: its position is in its own JSON (one item parsed per page).
    const { createdAt, id } = JSON.parse(last.item) as { createdAt: string; id: string };
    nextCursor = `"${encodeCursor({ at: createdAt, id })}"`;
  }
  return `{"items":[${items.map((row) => row.item).join(',')}],"total":${total},"skip":${query.skip},"limit":${query.limit},"nextCursor":${nextCursor}}`;
}

export async function listTasks(
  dataSource: DataSource,
  actor: AuthenticatedUser,
  query: ListTasksDto,
): Promise<string> {
  const { page, total } = taskListStatements(actor, query);
  const run = <R>(statement: Statement): Promise<R[]> =>
    statement.name
      ? preparedQuery<R>(
          dataSource,
          { name: statement.name, text: statement.text },
          statement.values,
        )
      : dataSource.query<R[]>(statement.text, statement.values);
  const [rows, [counted]] = await Promise.all([
    run<TaskListRow>(page),
    run<{ total: string }>(total),
  ]);
  return taskListAnswer(rows, Number(counted.total), query);
}
