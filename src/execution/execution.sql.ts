import { AuditAction } from '../audit/audit-actions';
import { auditInsert } from '../audit/audit.sql';

/**
 * The SQL of ExecutionRepository. The statements that move a task through its execution run as
 * named prepared statements (see preparedQuery). Each is a single statement with a condition on the task's current status, so a
 * cancel, a second worker or the reconciler racing with a worker can never resurrect a finished
 * task. One that ends the task also writes task.complete / task.fail, as a CTE of the same
 * statement: no transaction stays open across round trips while it holds its row locks. Those that
 * close attempts a dead worker left running answer which they closed (interrupted_attempts), so
 * the caller gives their agent slots back (AgentSlots).
 */

/**
 * Closes the attempts a dead worker left open, as a CTE of a statement whose "task" CTE has just
 * locked and changed the task row: running attempts of other tasks are someone else's.
 * $1 is the task id, $errorParam the error text to record.
 */
function closeInterrupted(errorParam: number): string {
  return `interrupted AS (
    UPDATE task_attempts
       SET finished_at = now(), outcome = 'retryable_error', error = $${errorParam}
     WHERE task_id = $1 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM task)
    RETURNING id, agent_id
  )`;
}

/** The attempts the "interrupted" CTE closed that held an agent slot: [{ agentId, attemptId }]. */
const INTERRUPTED_ATTEMPTS = `COALESCE(
    (SELECT json_agg(json_build_object('agentId', agent_id, 'attemptId', id))
       FROM interrupted WHERE agent_id IS NOT NULL),
    '[]') AS interrupted_attempts`;

/**
 * task.complete / task.fail, by the system (no actor), when the "task" CTE (RETURNING id, status,
 * owner_id, attempts, error_message) has just ended the task.
 */
const AUDIT_FINISHED = `audit AS (
  ${auditInsert(`SELECT
      CASE WHEN status = 'completed' THEN '${AuditAction.TaskComplete}' ELSE '${AuditAction.TaskFail}' END,
      CASE WHEN status = 'completed' THEN 'success' ELSE 'failure' END,
      NULL::uuid, 'task', id::text, NULL, NULL, NULL,
      jsonb_build_object('ownerId', owner_id, 'attempts', attempts)
        || CASE WHEN status = 'failed' THEN jsonb_build_object('error', error_message)
                ELSE '{}'::jsonb END
    FROM task WHERE status IN ('completed', 'failed')`)}
)`;

/** $1 task, $2 agent, $3 interruption message, $4 the new attempt's id (its agent slot's holder). */
export const START_ATTEMPT = {
  name: 'ymera_task_start_attempt',
  text: `WITH task AS (
    UPDATE tasks
       SET status = 'in_progress', agent_id = $2, attempts = attempts + 1,
           started_at = COALESCE(started_at, now()), updated_at = now()
     WHERE id = $1 AND status IN ('pending', 'in_progress')
    RETURNING id, name, task_type, parameters, priority, timeout_ms, attempts, max_attempts
  ), ${closeInterrupted(3)},
  attempt AS (
    INSERT INTO task_attempts (id, task_id, number, agent_id)
    SELECT $4, id, attempts, $2 FROM task
  )
  SELECT task.attempts, task.max_attempts, task.name, task.task_type, task.parameters,
         task.priority, task.timeout_ms, ${INTERRUPTED_ATTEMPTS}
    FROM task`,
};

/** $1 task, $2 error, $3 interruption message. */
export const RECORD_UNROUTED = {
  name: 'ymera_task_record_unrouted',
  text: `WITH task AS (
    UPDATE tasks
       SET attempts = attempts + 1,
           status = CASE WHEN attempts + 1 >= max_attempts THEN 'failed' ELSE 'pending' END,
           completed_at = CASE WHEN attempts + 1 >= max_attempts THEN now() END,
           error_message = $2, updated_at = now()
     WHERE id = $1 AND status IN ('pending', 'in_progress')
    RETURNING id, status, owner_id, attempts, error_message
  ), ${closeInterrupted(3)}, ${AUDIT_FINISHED},
  attempt AS (
    INSERT INTO task_attempts (task_id, number, agent_id, finished_at, outcome, error)
    SELECT id, attempts, NULL, now(), 'retryable_error', $2 FROM task
  )
  SELECT task.status, task.attempts, ${INTERRUPTED_ATTEMPTS} FROM task`,
};

/**
 * $1 task, $2 attempt, $3 outcome, $4 HTTP status, $5 error, $6 result (JSON text). When the
 * attempt was already closed by someone else, only a success still moves the task.
 */
export const FINISH_ATTEMPT = {
  name: 'ymera_task_finish_attempt',
  text: `WITH attempt AS (
    UPDATE task_attempts
       SET finished_at = now(), outcome = $3, http_status = $4, error = $5
     WHERE id = $2 AND finished_at IS NULL
    RETURNING id
  ), task AS (
    UPDATE tasks
       SET status = CASE
             WHEN $3 = 'succeeded' THEN 'completed'
             WHEN $3 = 'retryable_error' AND attempts < max_attempts THEN 'pending'
             ELSE 'failed' END,
           result = $6::jsonb,
           error_message = $5,
           completed_at = CASE
             WHEN $3 = 'retryable_error' AND attempts < max_attempts THEN NULL
             ELSE now() END,
           updated_at = now()
     WHERE id = $1 AND status IN ('pending', 'in_progress')
       AND ($3 = 'succeeded' OR EXISTS (SELECT 1 FROM attempt))
    RETURNING id, status, owner_id, attempts, error_message
  ), ${AUDIT_FINISHED}
  SELECT (SELECT status FROM task) AS status, (SELECT attempts FROM task) AS attempts,
         '[]'::json AS interrupted_attempts`,
};

/** $1 task, $2 interruption message. For an in_progress task whose worker is gone. */
export const INTERRUPT_TASK = {
  name: 'ymera_task_interrupt',
  text: `WITH task AS (
    UPDATE tasks
       SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
           completed_at = CASE WHEN attempts >= max_attempts THEN now() END,
           error_message = $2, updated_at = now()
     WHERE id = $1 AND status = 'in_progress'
    RETURNING id, status, owner_id, attempts, error_message
  ), ${closeInterrupted(2)}, ${AUDIT_FINISHED}
  SELECT task.status, task.attempts, ${INTERRUPTED_ATTEMPTS} FROM task`,
};

/** $1 task. For a pending task whose attempts are all used up. */
export const FAIL_EXHAUSTED = {
  name: 'ymera_task_fail_exhausted',
  text: `WITH task AS (
    UPDATE tasks
       SET status = 'failed', completed_at = now(), updated_at = now(),
           error_message = COALESCE(error_message, 'every attempt was used')
     WHERE id = $1 AND status = 'pending' AND attempts >= max_attempts
    RETURNING id, status, owner_id, attempts, error_message
  ), ${AUDIT_FINISHED}
  SELECT task.status, task.attempts, '[]'::json AS interrupted_attempts FROM task`,
};

/** $1 quiet period (ms), $2 and $3 the position to continue after (or nulls), $4 limit. */
export const QUIET_PENDING_TASKS = `SELECT id, owner_id, task_type, requested_agent_id, priority,
       attempts, max_attempts, timeout_ms, updated_at
  FROM tasks
 WHERE status = 'pending'
   AND updated_at < now() - $1 * interval '1 millisecond'
   AND ($2::timestamptz IS NULL OR (updated_at, id) > ($2, $3::uuid))
 ORDER BY updated_at, id
 LIMIT $4`;

/** $1 default timeout (ms), $2 grace (ms), $3 limit. */
export const ABANDONED_TASKS = `SELECT id, owner_id, task_type, requested_agent_id, priority,
       attempts, max_attempts, timeout_ms, updated_at
  FROM tasks
 WHERE status = 'in_progress'
   AND updated_at < now() - (COALESCE(timeout_ms, $1) + $2) * interval '1 millisecond'
 ORDER BY updated_at, id
 LIMIT $3`;

export const RUNNING_ATTEMPTS = `SELECT id, agent_id, started_at FROM task_attempts
 WHERE finished_at IS NULL AND agent_id IS NOT NULL`;

/**
 * The agents a task may be routed to, in order of preference; prepared. $1 owner, $2 task type,
 * $3 the requested agent or null.
 */
export const CANDIDATES = {
  name: 'ymera_agent_candidates',
  text: `SELECT id, endpoint_url, protocol, signing_secret, max_concurrency
           FROM agents
          WHERE owner_id = $1 AND status = 'active'
            AND (CASE WHEN $3::uuid IS NULL THEN capabilities @> ARRAY[$2::text]
                      ELSE id = $3::uuid END)
          ORDER BY last_heartbeat DESC NULLS LAST, id
          LIMIT 100`,
};

/** $1 the heartbeat TTL in seconds. */
export const EXPIRE_HEARTBEATS = `UPDATE agents SET status = 'inactive'
 WHERE status IN ('active', 'busy')
   AND (last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => $1))`;
