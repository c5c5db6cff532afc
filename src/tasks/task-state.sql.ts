/**
 * The statements that move a task through its execution, run as named prepared statements (see
 * preparedQuery). Each is a single statement with a condition on the task's current status, so a
 * cancel, a second worker or the reconciler racing with a worker can never resurrect a finished
 * task.
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
    RETURNING agent_id
  )`;
}

const INTERRUPTED_AGENT_IDS = `ARRAY(SELECT agent_id FROM interrupted WHERE agent_id IS NOT NULL)
  AS interrupted_agent_ids`;

/** $1 task, $2 agent, $3 interruption message. */
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
    INSERT INTO task_attempts (task_id, number, agent_id)
    SELECT id, attempts, $2 FROM task
    RETURNING id
  )
  SELECT attempt.id AS attempt_id, task.attempts, task.max_attempts, task.name, task.task_type,
         task.parameters, task.priority, task.timeout_ms, ${INTERRUPTED_AGENT_IDS}
    FROM task, attempt`,
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
  ), ${closeInterrupted(3)},
  attempt AS (
    INSERT INTO task_attempts (task_id, number, agent_id, finished_at, outcome, error)
    SELECT id, attempts, NULL, now(), 'retryable_error', $2 FROM task
    RETURNING id
  )
  SELECT task.status, task.owner_id, task.attempts, task.error_message,
         true AS attempt_closed, NULL::uuid AS agent_id, ${INTERRUPTED_AGENT_IDS}
    FROM task, attempt`,
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
    RETURNING number, agent_id
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
    RETURNING status, owner_id, attempts, error_message
  )
  SELECT (SELECT status FROM task) AS status,
         (SELECT owner_id FROM task) AS owner_id,
         (SELECT attempts FROM task) AS attempts,
         (SELECT error_message FROM task) AS error_message,
         EXISTS (SELECT 1 FROM attempt) AS attempt_closed,
         (SELECT agent_id FROM attempt) AS agent_id,
         ARRAY[]::uuid[] AS interrupted_agent_ids`,
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
  ), ${closeInterrupted(2)}
  SELECT task.status, task.owner_id, task.attempts, task.error_message,
         false AS attempt_closed, NULL::uuid AS agent_id, ${INTERRUPTED_AGENT_IDS}
    FROM task`,
};

/** $1 task. For a pending task whose attempts are all used up. */
export const FAIL_EXHAUSTED = {
  name: 'ymera_task_fail_exhausted',
  text: `UPDATE tasks
       SET status = 'failed', completed_at = now(), updated_at = now(),
           error_message = COALESCE(error_message, 'every attempt was used')
     WHERE id = $1 AND status = 'pending' AND attempts >= max_attempts
    RETURNING status, owner_id, attempts, error_message,
              false AS attempt_closed, NULL::uuid AS agent_id,
              ARRAY[]::uuid[] AS interrupted_agent_ids`,
};
