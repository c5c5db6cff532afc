/**
 * The SQL of task events (README, "Following a task"): the one writer, a CTE that every statement
 * changing a task's state includes (execution.sql.ts, TasksRepository), and the reads of
 * TaskEventsService and TaskEventFeed.
 */

/**
 * Where a process that wrote events announces it, once they have committed (TaskEventsService.
 * announce): the event streams and the webhook fan-out LISTEN on it (ChangeFeed) and read on.
 */
export const TASK_EVENTS_CHANNEL = 'ymera_task_events';

/** The columns `select` yields for eventInsert, in order. */
const EVENT_COLUMNS = 'owner_id, task_id, type, status, task_type, attempt, data';

/**
 * A CTE (to follow others in a WITH list) that appends one event per row of `select`, which yields
 * EVENT_COLUMNS in order (owner, task, event type, the task's status after it, task type, the
 * attempt concerned or null, data as jsonb or null); ids in task id order. `select` must read the
 * RETURNING of a data-modifying CTE of the statement (the change the events describe): the
 * transaction then has its id before it takes event ids, which TaskEventFeed relies on to know
 * when an id missing below others will never commit.
 */
export function eventInsert(select: string): string {
  return `events AS (
    INSERT INTO task_events (${EVENT_COLUMNS})
    SELECT ${EVENT_COLUMNS} FROM (${select}) AS e (${EVENT_COLUMNS}) ORDER BY task_id
  )`;
}

const EVENT_READ_COLUMNS = `id, owner_id, task_id, type, status, task_type, attempt, data, at`;

/**
 * $1 owner, $2 after id, $3 up to id, $4 limit, $5 status or null, $6 task type or null; prepared.
 */
export const OWNER_EVENTS_AFTER = {
  name: 'ymera_task_events_after',
  text: `SELECT ${EVENT_READ_COLUMNS} FROM task_events
          WHERE owner_id = $1 AND id > $2 AND id <= $3
            AND ($5::text IS NULL OR status = $5) AND ($6::text IS NULL OR task_type = $6)
          ORDER BY id LIMIT $4`,
};

/** $1 owner, $2 after id, $3 up to id, $4 limit, $5 task; prepared. */
export const TASK_EVENTS_AFTER = {
  name: 'ymera_task_events_of_task_after',
  text: `SELECT ${EVENT_READ_COLUMNS} FROM task_events
          WHERE task_id = $5 AND owner_id = $1 AND id > $2 AND id <= $3
          ORDER BY id LIMIT $4`,
};

/** $1 owner: the id of its latest event (0 when none). */
export const OWNER_LAST_EVENT_ID = `SELECT COALESCE(max(id), 0) AS last_id
  FROM task_events WHERE owner_id = $1`;

/**
 * Every owner's events after $1 (at most $2), with the reading snapshot's xmin and xmax: the
 * oldest transaction still running, and the first transaction id not yet assigned.
 */
export const EVENTS_AFTER = {
  name: 'ymera_task_events_all_after',
  text: `WITH snapshot AS (SELECT pg_current_snapshot() AS s)
    SELECT ${EVENT_READ_COLUMNS},
           pg_snapshot_xmin(snapshot.s)::text AS xmin, pg_snapshot_xmax(snapshot.s)::text AS xmax
      FROM task_events, snapshot
     WHERE id > $1 ORDER BY id LIMIT $2`,
};

/** The latest event id of all, with the reading snapshot's xmax (see EVENTS_AFTER). */
export const LATEST_EVENT = `SELECT (SELECT COALESCE(max(id), 0) FROM task_events) AS last_id,
         pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`;
