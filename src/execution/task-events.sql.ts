/**
 * The SQL of task events (README, "Following a task"): the one writer, a set of CTEs that every
 * statement changing a task's state includes (execution.sql.ts, TasksRepository), and the reads
 * of TaskEventsService.
 */

/**
 * Where each statement that writes events announces, at its commit, whose events they are (the
 * payload is the owner's id): the api processes' event streams and the workers' webhook fan-out
 * LISTEN on it (ChangeFeed). Sent by the statement that writes the events, so no event is announced
 * that did not commit.
 */
export const TASK_EVENTS_CHANNEL = 'ymera_task_events';

/** The columns `select` yields for eventInsert, in order. */
const EVENT_COLUMNS = 'owner_id, task_id, type, status, task_type, attempt, data';

/**
 * CTEs (to follow others in a WITH list) that append one event per row of `select`, which yields
 * EVENT_COLUMNS in order (owner, task, event type, the task's status after it, task type, the
 * attempt concerned or null, data as jsonb or null). Each owner's next ids come from its row of
 * task_event_sequences, locked by the upsert until the statement's transaction commits: one
 * owner's event ids commit in increasing order (task_events' migration says why). Within a
 * statement, events are numbered by task id. Owners are taken in id order, so two statements
 * writing events of the same owners never wait for each other in opposite order.
 */
export function eventInsert(select: string): string {
  return `event_source AS (
    SELECT ${EVENT_COLUMNS} FROM (${select}) AS e (${EVENT_COLUMNS})
  ), event_ids AS (
    INSERT INTO task_event_sequences AS s (owner_id, last_id)
    SELECT owner_id, count(*) FROM event_source GROUP BY owner_id ORDER BY owner_id
    ON CONFLICT (owner_id) DO UPDATE SET last_id = s.last_id + EXCLUDED.last_id
    RETURNING owner_id, last_id
  ), events AS (
    INSERT INTO task_events (owner_id, id, ${EVENT_COLUMNS.replace('owner_id, ', '')})
    SELECT e.owner_id,
           i.last_id - count(*) OVER (PARTITION BY e.owner_id)
             + row_number() OVER (PARTITION BY e.owner_id ORDER BY e.task_id),
           e.task_id, e.type, e.status, e.task_type, e.attempt, e.data
      FROM event_source e JOIN event_ids i USING (owner_id)
    RETURNING pg_notify('${TASK_EVENTS_CHANNEL}', owner_id::text)
  )`;
}

const EVENT_READ_COLUMNS = `owner_id, id, task_id, type, status, task_type, attempt, data, at`;

/** $1 owner, $2 after id, $3 limit, $4 status or null, $5 task type or null; prepared. */
export const OWNER_EVENTS_AFTER = {
  name: 'ymera_task_events_after',
  text: `SELECT ${EVENT_READ_COLUMNS} FROM task_events
          WHERE owner_id = $1 AND id > $2
            AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR task_type = $5)
          ORDER BY id LIMIT $3`,
};

/** $1 owner, $2 after id, $3 limit, $4 task; prepared. */
export const TASK_EVENTS_AFTER = {
  name: 'ymera_task_events_of_task_after',
  text: `SELECT ${EVENT_READ_COLUMNS} FROM task_events
          WHERE task_id = $4 AND owner_id = $1 AND id > $2
          ORDER BY id LIMIT $3`,
};

/** $1 owner: the id of its latest committed event (0 when none). */
export const LAST_EVENT_ID = `SELECT COALESCE(
    (SELECT last_id FROM task_event_sequences WHERE owner_id = $1), 0) AS last_id`;
