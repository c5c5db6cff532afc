import { AuditAction } from '../audit/audit-actions';
import { auditInsert } from '../audit/audit.sql';
import { eventInsert } from './task-events.sql';

/**
 * The SQL of ExecutionRepository. The statements that move a task through its execution run as
 * named prepared statements (see preparedQuery). Each is a single statement with a condition on the task's current status, so a
 * cancel, a second worker or the reconciler racing with a worker can never resurrect a finished
 * task. One that ends the task also writes task.complete / task.fail, and each that changes the
 * task's state writes its task event (task-events.sql.ts), as CTEs of the same statement: no
 * transaction stays open across round trips while it holds its row locks. Those that
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
       SET finished_at = now(), outcome = 'interrupted', error = $${errorParam}
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

/**
 * The event of a task the "task" CTE (RETURNING id, status, owner_id, task_type, error_message,
 * result) has just moved on after attempt `attempt` (SQL) closed with `outcome` (SQL):
 * task.completed with its result, task.failed with its error, or task.retrying (back to pending);
 * for the rows of "task" that satisfy `where`.
 */
const OUTCOME_EVENT = (attempt: string, outcome: string, where = 'true') =>
  eventInsert(`SELECT owner_id, id,
      CASE status WHEN 'completed' THEN 'task.completed' WHEN 'failed' THEN 'task.failed'
                  ELSE 'task.retrying' END,
      status, task_type, ${attempt},
      CASE status WHEN 'completed' THEN jsonb_build_object('result', result)
                  WHEN 'failed' THEN jsonb_build_object('error', error_message)
                  ELSE jsonb_build_object('outcome', ${outcome}::text, 'error', error_message) END
    FROM task WHERE ${where}`);

/**
 * Whether the task's current run has used its budget, over a tasks row (`alias`: 't.' or none):
 * `attempts` counts every attempt ever made, a retry (POST /api/v1/tasks/:id/retry) sets
 * `attempts_base` to it and the run may then make `max_attempts` more.
 */
const RUN_EXHAUSTED = (alias = '') =>
  `${alias}attempts - ${alias}attempts_base >= ${alias}max_attempts`;

/**
 * $1 task, $2 agent, $3 interruption message, $4 the new attempt's id (its agent slot's holder),
 * $5 the job's generation (a job of an older one runs nothing). Ends any wait for an agent.
 */
export const START_ATTEMPT = {
  name: 'ymera_task_start_attempt',
  text: `WITH task AS (
    UPDATE tasks
       SET status = 'in_progress', agent_id = $2, attempts = attempts + 1,
           started_at = COALESCE(started_at, now()), updated_at = now(),
           waiting_since = NULL, schedule_deadline = NULL, woken_for = NULL
     WHERE id = $1 AND status IN ('pending', 'in_progress') AND job_generation = $5
    RETURNING id, owner_id, name, task_type, parameters, priority, timeout_ms, attempts,
              max_attempts
  ), ${closeInterrupted(3)},
  attempt AS (
    INSERT INTO task_attempts (id, task_id, number, agent_id)
    SELECT $4, id, attempts, $2 FROM task
  ), ${eventInsert(`SELECT owner_id, id, 'task.started', 'in_progress', task_type, attempts,
                          jsonb_build_object('agentId', $2::uuid) FROM task`)}
  SELECT task.attempts, task.max_attempts, task.name, task.task_type, task.parameters,
         task.priority, task.timeout_ms, ${INTERRUPTED_ATTEMPTS}
    FROM task`,
};

/**
 * Why a waiting task failed, naming what it waited for, over a tasks row `t` and its wait's bound
 * in milliseconds (SQL expression `timeoutMs`).
 */
function neverAvailable(timeoutMs: string): string {
  return `CASE WHEN t.requested_agent_id IS NOT NULL
    THEN format('agent %s did not become available within %s ms', t.requested_agent_id, ${timeoutMs})
    ELSE format('no agent with capability "%s" became available within %s ms', t.task_type, ${timeoutMs})
  END`;
}

/** A task's bound on one wait for an agent: its scheduleTimeoutMs, or $param (the default). */
const WAIT_BOUND = (param: number) => `COALESCE(t.schedule_timeout_ms, $${param})`;

/**
 * The claim found no agent for the task: it waits (parked), spending no attempt, until an agent
 * may take it (WaitingTasks wakes it) or its wait's deadline passes. Past the deadline already
 * (a task woken that found no agent again), it fails naming what it waited for. A stalled job's
 * task (in_progress, its worker died) has the attempt left open closed as interrupted first, and
 * fails when that was its last. $1 task, $2 the job's generation, $3 the default wait bound (ms),
 * $4 interruption message.
 */
export const PARK_TASK = {
  name: 'ymera_task_park',
  text: `WITH current AS (
    SELECT t.id, t.status AS previous,
           CASE WHEN t.status = 'in_progress' AND ${RUN_EXHAUSTED('t.')} THEN $4
                WHEN t.schedule_deadline <= now() THEN ${neverAvailable(WAIT_BOUND(3))}
           END AS failure,
           COALESCE(t.schedule_deadline,
                    now() + ${WAIT_BOUND(3)} * interval '1 millisecond') AS deadline
      FROM tasks t
     WHERE t.id = $1 AND t.status IN ('pending', 'in_progress') AND t.job_generation = $2
       FOR UPDATE
  ), task AS (
    UPDATE tasks t
       SET status = CASE WHEN c.failure IS NULL THEN 'pending' ELSE 'failed' END,
           waiting_since = CASE WHEN c.failure IS NULL THEN COALESCE(t.waiting_since, now()) END,
           woken_for = NULL,
           schedule_deadline = CASE WHEN c.failure IS NULL THEN c.deadline END,
           error_message = COALESCE(c.failure, t.error_message),
           completed_at = CASE WHEN c.failure IS NULL THEN NULL ELSE now() END,
           updated_at = now()
      FROM current c
     WHERE t.id = c.id
    RETURNING t.id, t.status, t.owner_id, t.attempts, t.error_message, t.task_type, t.result,
              c.previous
  ), ${closeInterrupted(4)}, ${AUDIT_FINISHED},
  ${OUTCOME_EVENT(
    "CASE WHEN previous = 'in_progress' THEN attempts END",
    "'interrupted'",
    "status = 'failed' OR previous = 'in_progress'",
  )}
  SELECT task.status, task.attempts, task.error_message, ${INTERRUPTED_ATTEMPTS} FROM task`,
};

/** What a woken task's job is queued with. */
const QUEUEABLE_COLUMNS = `id, owner_id, task_type, requested_agent_id, priority, attempts,
  max_attempts, attempts_base, timeout_ms, job_generation, run_at, updated_at`;

/**
 * An agent may take work: the tasks waiting for it (its owner's, naming it or of a type among its
 * capabilities), most urgent first (critical to low, then oldest), as many as it has free slots
 * (at most $3), stop waiting and get a job generation of their own; prepared. SKIP LOCKED: two
 * workers waking for the same agent never take the same task. Tasks woken for the agent earlier
 * whose attempt has not started yet (within $4 ms of their wake-up) count as slots taken: the
 * most urgent task woken into a free slot keeps it from the wake-ups that follow before its job
 * claims it. One row: the agent's free slots (null when it is not active) and the tasks woken
 * (JSON). $1 agent, $2 its slots taken now, $3 most tasks to wake, $4 how long a woken task's
 * wake-up holds its slot (ms).
 */
export const WAKE_TASKS = {
  name: 'ymera_tasks_wake',
  text: `WITH agent AS (
    SELECT id, owner_id, capabilities,
           GREATEST(max_concurrency - $2 - (
             SELECT count(*) FROM tasks r
              WHERE r.woken_for = $1 AND r.status = 'pending' AND r.waiting_since IS NULL
                AND r.updated_at > now() - $4 * interval '1 millisecond'), 0)::int AS free
      FROM agents WHERE id = $1 AND status = 'active'
  ), woken AS (
    SELECT t.id AS woken_id
      FROM tasks t, agent a
     WHERE t.waiting_since IS NOT NULL AND t.status = 'pending' AND t.owner_id = a.owner_id
       AND (t.requested_agent_id = a.id
            OR (t.requested_agent_id IS NULL AND t.task_type = ANY (a.capabilities)))
     ORDER BY array_position(ARRAY['critical', 'high', 'normal', 'low'], t.priority),
              t.created_at, t.id
     LIMIT LEAST(COALESCE((SELECT free FROM agent), 0), $3)
       FOR UPDATE OF t SKIP LOCKED
  ), task AS (
    UPDATE tasks t
       SET waiting_since = NULL, job_generation = t.job_generation + 1, woken_for = $1,
           updated_at = now()
      FROM woken
     WHERE t.id = woken.woken_id
    RETURNING ${QUEUEABLE_COLUMNS}, created_at
  )
  SELECT (SELECT free FROM agent) AS free,
         COALESCE((SELECT json_agg(task ORDER BY
                     array_position(ARRAY['critical', 'high', 'normal', 'low'], task.priority),
                     task.created_at, task.id)
                     FROM task), '[]') AS tasks`,
};

/**
 * Active agents some waiting task could run on: what a wake-up of everything looks at (after the
 * notifications may have been missed, or slots were set right).
 */
export const AGENTS_WITH_WAITING_TASKS = `SELECT a.id FROM agents a
 WHERE a.status = 'active' AND EXISTS (
   SELECT 1 FROM tasks t
    WHERE t.waiting_since IS NOT NULL AND t.status = 'pending' AND t.owner_id = a.owner_id
      AND (t.requested_agent_id = a.id
           OR (t.requested_agent_id IS NULL AND t.task_type = ANY (a.capabilities))))`;

/**
 * Fails the waiting tasks whose wait's deadline passed (at most $2, earliest first), naming what
 * each waited for, with their task.fail records. $1 the default wait bound (ms), $2 limit.
 */
export const EXPIRE_WAITING_TASKS = `WITH task AS (
    UPDATE tasks t
       SET status = 'failed', error_message = ${neverAvailable(WAIT_BOUND(1))},
           waiting_since = NULL, schedule_deadline = NULL, completed_at = now(), updated_at = now()
     WHERE t.id IN (SELECT id FROM tasks
                     WHERE waiting_since IS NOT NULL AND schedule_deadline <= now()
                       AND status = 'pending'
                     ORDER BY schedule_deadline
                     LIMIT $2
                       FOR UPDATE SKIP LOCKED)
    RETURNING t.id, t.status, t.owner_id, t.attempts, t.error_message, t.task_type, t.result
  ), ${AUDIT_FINISHED}, ${OUTCOME_EVENT('NULL::int', 'NULL')}
  SELECT task_type FROM task`;

/**
 * The task row, locked first: every statement that changes a task and one of its attempts takes
 * the task's lock before the attempt's (as a cancel does), so two of them never wait for each
 * other in opposite order.
 */
const LOCK_TASK = (where: string) => `locked AS (SELECT id FROM tasks WHERE ${where} FOR UPDATE)`;

/**
 * The task after its running attempt closed with outcome $o (error $e, result $r as JSON text):
 * completed, back to pending (retryable or interrupted, with attempts left) or failed.
 */
function afterAttempt(o: string, e: string, r: string): string {
  const retried = `${o} IN ('retryable_error', 'interrupted') AND NOT ${RUN_EXHAUSTED()}`;
  return `status = CASE WHEN ${o} = 'succeeded' THEN 'completed'
                        WHEN ${retried} THEN 'pending'
                        ELSE 'failed' END,
           result = ${r}::jsonb,
           error_message = ${e},
           completed_at = CASE WHEN ${retried} THEN NULL ELSE now() END,
           updated_at = now()`;
}

/**
 * Where a statement that closes an attempt on behalf of its worker (the agent's report, a cancel)
 * announces it at commit, with the attempt id: the worker running it LISTENs (ClosedAttempts).
 */
export const ATTEMPT_CLOSED_CHANNEL = 'ymera_attempt_closed';

/** Announces at commit that the attempts of the "attempt" CTE (RETURNING id) were closed. */
export const NOTIFY_CLOSED = `notified AS (
    SELECT pg_notify('${ATTEMPT_CLOSED_CHANNEL}', id::text) FROM attempt
  )`;

/**
 * $1 task, $2 attempt, $3 outcome, $4 HTTP status, $5 error, $6 result (JSON text). When the
 * attempt was already closed by someone else, only a success still moves the task, and only when
 * the attempt had been closed as interrupted (its worker was thought dead): the work is done,
 * whoever noticed first. An attempt a cancel or the agent's own report closed keeps that answer
 * (the first one wins). An attempt of a run before the task's latest retry (one still out when a
 * cancelled task was retried) moves it never: its answer is recorded on the attempt only.
 * `closed`: whether this statement closed the attempt.
 */
export const FINISH_ATTEMPT = {
  name: 'ymera_task_finish_attempt',
  text: `WITH ${LOCK_TASK('id = $1')}, attempt AS (
    UPDATE task_attempts
       SET finished_at = now(), outcome = $3, http_status = $4, error = $5
     WHERE id = $2 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM locked)
    RETURNING id
  ), task AS (
    UPDATE tasks
       SET ${afterAttempt('$3', '$5', '$6')}
     WHERE id = $1 AND status IN ('pending', 'in_progress')
       AND (EXISTS (SELECT 1 FROM attempt)
            OR ($3 = 'succeeded' AND EXISTS (SELECT 1 FROM task_attempts
                                              WHERE id = $2 AND outcome = 'interrupted')))
       AND (SELECT number FROM task_attempts WHERE id = $2) > attempts_base
    RETURNING id, status, owner_id, attempts, error_message, task_type, result
  ), ${AUDIT_FINISHED},
  ${OUTCOME_EVENT('(SELECT number FROM task_attempts WHERE id = $2)', '$3')}
  SELECT (SELECT status FROM task) AS status, (SELECT attempts FROM task) AS attempts,
         EXISTS (SELECT 1 FROM attempt) AS closed, '[]'::json AS interrupted_attempts`,
};

/**
 * The agent's report of its running attempt (POST /api/v1/agent/tasks/:id/result): closes it as
 * the worker would have with a synchronous reply, first answer wins (the attempt must still be
 * running, on this agent), and announces it to the worker that waits for it. $1 task, $2 attempt
 * number, $3 agent, $4 outcome, $5 error, $6 result (JSON text). `known`: whether the task ever
 * ran on this agent (else it is none of its business: 404).
 */
export const REPORT_RESULT = {
  name: 'ymera_task_report_result',
  text: `WITH ${LOCK_TASK("id = $1 AND status = 'in_progress'")}, attempt AS (
    UPDATE task_attempts
       SET finished_at = now(), outcome = $4, error = $5
     WHERE task_id = $1 AND number = $2 AND agent_id = $3 AND finished_at IS NULL
       AND EXISTS (SELECT 1 FROM locked)
    RETURNING id
  ), task AS (
    UPDATE tasks
       SET ${afterAttempt('$4', '$5', '$6')}
     WHERE id = $1 AND EXISTS (SELECT 1 FROM attempt)
    RETURNING id, status, owner_id, attempts, error_message, task_type, result
  ), ${AUDIT_FINISHED}, ${NOTIFY_CLOSED}, ${OUTCOME_EVENT('$2::int', '$4')}
  SELECT (SELECT status FROM task) AS status, (SELECT task_type FROM task) AS task_type,
         (SELECT count(*) FROM notified) AS notified,
         EXISTS (SELECT 1 FROM task_attempts WHERE task_id = $1 AND agent_id = $3) AS known`,
};

/**
 * The latest progress of a running attempt, from its agent (POST
 * /api/v1/agent/tasks/:id/progress). $1 task, $2 attempt number, $3 agent, $4 the progress
 * (JSON text; its time is added). `known` as in REPORT_RESULT.
 */
export const REPORT_PROGRESS = {
  name: 'ymera_task_report_progress',
  text: `WITH attempt AS (
    UPDATE task_attempts
       SET progress = $4::jsonb || jsonb_build_object('at', now())
     WHERE task_id = $1 AND number = $2 AND agent_id = $3 AND finished_at IS NULL
    RETURNING id, task_id, progress
  ), ${eventInsert(`SELECT t.owner_id, t.id, 'task.progress', t.status, t.task_type, $2::int,
                          a.progress
                     FROM attempt a JOIN tasks t ON t.id = a.task_id`)}
  SELECT EXISTS (SELECT 1 FROM attempt) AS updated,
         EXISTS (SELECT 1 FROM task_attempts WHERE task_id = $1 AND agent_id = $3) AS known`,
};

/** Of the attempts $1 (ids), those closed, with their task's status now. */
export const CLOSED_ATTEMPTS = `SELECT a.id, a.outcome, a.error, t.status, t.attempts
  FROM task_attempts a JOIN tasks t ON t.id = a.task_id
 WHERE a.id = ANY ($1::uuid[]) AND a.finished_at IS NOT NULL`;

/** $1 task, $2 interruption message. For an in_progress task whose worker is gone. */
export const INTERRUPT_TASK = {
  name: 'ymera_task_interrupt',
  text: `WITH task AS (
    UPDATE tasks
       SET status = CASE WHEN ${RUN_EXHAUSTED()} THEN 'failed' ELSE 'pending' END,
           completed_at = CASE WHEN ${RUN_EXHAUSTED()} THEN now() END,
           error_message = $2, updated_at = now()
     WHERE id = $1 AND status = 'in_progress'
    RETURNING id, status, owner_id, attempts, error_message, task_type, result
  ), ${closeInterrupted(2)}, ${AUDIT_FINISHED}, ${OUTCOME_EVENT('attempts', "'interrupted'")}
  SELECT task.status, task.attempts, ${INTERRUPTED_ATTEMPTS} FROM task`,
};

/** $1 task. For a pending task whose attempts are all used up. */
export const FAIL_EXHAUSTED = {
  name: 'ymera_task_fail_exhausted',
  text: `WITH task AS (
    UPDATE tasks
       SET status = 'failed', completed_at = now(), updated_at = now(),
           error_message = COALESCE(error_message, 'every attempt was used')
     WHERE id = $1 AND status = 'pending' AND ${RUN_EXHAUSTED()}
    RETURNING id, status, owner_id, attempts, error_message, task_type, result
  ), ${AUDIT_FINISHED}, ${OUTCOME_EVENT('NULL::int', 'NULL')}
  SELECT task.status, task.attempts, '[]'::json AS interrupted_attempts FROM task`,
};

/**
 * Pending tasks that are not waiting for an agent (those have no job on purpose), unchanged for
 * the quiet period. $1 quiet period (ms), $2 and $3 the position to continue after (or nulls),
 * $4 limit.
 */
export const QUIET_PENDING_TASKS = `SELECT ${QUEUEABLE_COLUMNS}
  FROM tasks
 WHERE status = 'pending' AND waiting_since IS NULL
   AND updated_at < now() - $1 * interval '1 millisecond'
   AND ($2::timestamptz IS NULL OR (updated_at, id) > ($2, $3::uuid))
 ORDER BY updated_at, id
 LIMIT $4`;

/** $1 default timeout (ms), $2 grace (ms), $3 limit. */
export const ABANDONED_TASKS = `SELECT ${QUEUEABLE_COLUMNS}
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
