import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { auditInsert } from '../audit/audit.sql';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { findVisible } from '../common/ownership/owned';
import { preparedQuery } from '../database/prepared-query';
import { NOTIFY_CLOSED } from '../execution/execution.sql';
import { TaskEventsService } from '../execution/task-events.service';
import { eventInsert } from '../execution/task-events.sql';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TaskAttempt } from './entities/task-attempt.entity';
import { Task, taskFromRow, TaskRow } from './entities/task.entity';
import { listTasks } from './task-list.query';
import { TasksError, TasksErrorCode } from './tasks.errors';

const NOT_FOUND = () => new TasksError(TasksErrorCode.TaskNotFound, 'Task not found.');
const DEFAULT_MAX_ATTEMPTS = 3;

const TASK_COLUMNS = `id, owner_id, agent_id, requested_agent_id, name, description, task_type,
  parameters, priority, status, result, error_message, attempts, max_attempts, attempts_base,
  timeout_ms, idempotency_key, schedule_timeout_ms, run_at, job_generation, created_at, updated_at,
  started_at, completed_at`;

/**
 * The task, its task.create record and its task.created event in one statement, prepared (see preparedQuery); columns
 * named, so a column added later cannot break its plan. ON CONFLICT DO NOTHING: of two requests
 * racing with one Idempotency-Key, the second waits for the first to commit and then finds its row
 * instead of failing on the unique constraint.
 */
const INSERT_TASK = {
  name: 'ymera_task_insert',
  text: `WITH task AS (
    INSERT INTO tasks (owner_id, requested_agent_id, name, description, task_type, parameters,
                       priority, max_attempts, timeout_ms, idempotency_key, schedule_timeout_ms,
                       run_at)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $15, $16)
    ON CONFLICT (owner_id, idempotency_key) DO NOTHING
    RETURNING ${TASK_COLUMNS}
  ), audit AS (
    ${auditInsert(`SELECT '${AuditAction.TaskCreate}', 'success', owner_id, 'task', id::text, $11, $12, $13,
        jsonb_build_object('name', name, 'taskType', task_type, 'priority', priority,
                           'requestedAgentId', requested_agent_id, 'maxAttempts', max_attempts,
                           'runAt', run_at)
          || $14::jsonb
      FROM task`)}
  ), ${eventInsert(`SELECT owner_id, id, 'task.created', status, task_type, NULL::int,
        jsonb_build_object('name', name, 'taskType', task_type, 'priority', priority,
                           'runAt', run_at)
      FROM task`)}
  SELECT ${TASK_COLUMNS} FROM task`,
};

const CANCELLED = 'cancelled by its owner';

/**
 * $1 task (locked by the caller), $2 the cancelled attempt's error. Its task.cancelled event
 * names the status before (read by "previous", which sees the row as the statement found it).
 */
const CANCEL_TASK = `WITH previous AS (SELECT status FROM tasks WHERE id = $1), task AS (
    UPDATE tasks SET status = 'cancelled', completed_at = now(), updated_at = now(),
                     waiting_since = NULL, schedule_deadline = NULL
     WHERE id = $1
    RETURNING ${TASK_COLUMNS}
  ), attempt AS (
    UPDATE task_attempts SET finished_at = now(), outcome = 'cancelled', error = $2
     WHERE task_id = $1 AND finished_at IS NULL
    RETURNING id, number
  ), ${NOTIFY_CLOSED},
  ${eventInsert(`SELECT owner_id, id, 'task.cancelled', status, task_type,
        (SELECT max(number) FROM attempt),
        jsonb_build_object('previousStatus', (SELECT status FROM previous))
      FROM task`)}
  SELECT ${TASK_COLUMNS}, (SELECT count(*) FROM notified) AS notified FROM task`;

export interface InsertedTask {
  task: Task;
  /** False when the Idempotency-Key named a task created earlier, which is returned instead. */
  created: boolean;
}

/** The SQL of the task API: a task's creation, its reads, the list and its cancellation. */
@Injectable()
export class TasksRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: TaskEventsService,
  ) {}

  /** Stores a new task of `ownerId` with its task.create record, or finds the one its key made. */
  async insert(
    ownerId: string,
    dto: CreateTaskDto,
    idempotencyKey: string | null,
    client: ClientContext,
  ): Promise<InsertedTask> {
    const [inserted] = await preparedQuery<TaskRow>(this.dataSource, INSERT_TASK, [
      ownerId,
      dto.agentId ?? null,
      dto.name,
      dto.description ?? null,
      dto.taskType,
      JSON.stringify(dto.parameters ?? {}),
      dto.priority ?? 'normal',
      dto.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      dto.timeoutMs ?? null,
      idempotencyKey,
      client.ipAddress,
      client.userAgent,
      client.requestId,
      // How the caller authenticated, when with an API key (ClientContext.credential).
      JSON.stringify(client.credential ?? {}),
      dto.scheduleTimeoutMs ?? null,
      dto.runAt ?? null,
    ]);
    if (inserted) {
      this.events.announce();
      return { task: taskFromRow(inserted), created: true };
    }
    return { task: (await this.byIdempotencyKey(ownerId, idempotencyKey))!, created: false };
  }

  /** The task `ownerId` created with `key`, if any. */
  async byIdempotencyKey(ownerId: string, key: string | null): Promise<Task | null> {
    if (key === null) return null;
    const [row] = await this.dataSource.query<TaskRow[]>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE owner_id = $1 AND idempotency_key = $2`,
      [ownerId, key],
    );
    return row ? taskFromRow(row) : null;
  }

  /** Whether `agentId` is an agent of `ownerId` (in any state). */
  async ownsAgent(ownerId: string, agentId: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      'SELECT 1 FROM agents WHERE id = $1 AND owner_id = $2',
      [agentId, ownerId],
    );
    return rows.length > 0;
  }

  /** The JSON of a Page<TaskDto> (see task-list.query.ts). */
  list(actor: AuthenticatedUser, query: ListTasksDto): Promise<string> {
    return listTasks(this.dataSource, actor, query);
  }

  /** The task if `actor` may see it (404 otherwise), row-locked in `manager`'s transaction. */
  findVisible(
    actor: AuthenticatedUser,
    id: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<Task> {
    return findVisible(manager, Task, actor, id, NOT_FOUND, lock);
  }

  /** The task's attempts, oldest first. */
  attempts(taskId: string): Promise<TaskAttempt[]> {
    return this.dataSource.manager
      .getRepository(TaskAttempt)
      .find({ where: { taskId }, order: { number: 'ASC' } });
  }

  /**
   * Marks the task cancelled (and no longer waiting for an agent), in `manager`'s transaction,
   * after its row was locked. Its running attempt, if any, is closed as `cancelled` in the same
   * statement and announced to the worker running it, which stops the dispatch and tells the agent
   * (docs/agent-protocol.md, "Cancel"): whatever the agent answers afterwards finds it closed.
   */
  async cancel(manager: EntityManager, taskId: string): Promise<Task> {
    const [row] = await manager.query<TaskRow[]>(CANCEL_TASK, [taskId, CANCELLED]);
    return taskFromRow(row);
  }

  /**
   * Puts a failed or cancelled task back to pending for a new run, with its task.retried event,
   * in `manager`'s transaction: a
   * fresh budget of max_attempts counted from the attempts made so far (attempts_base), which
   * keep their numbers and history; the previous run's result, error and completion cleared; a
   * new job generation, so its job never collides with the previous run's (kept failed in Redis,
   * or still finishing a cancelled attempt: a stale generation runs nothing). started_at stays
   * the first attempt's.
   */
  async retry(manager: EntityManager, taskId: string): Promise<Task> {
    const [row] = await manager.query<TaskRow[]>(
      `WITH task AS (
        UPDATE tasks SET status = 'pending', attempts_base = attempts, result = NULL,
                         error_message = NULL, completed_at = NULL, waiting_since = NULL,
                         schedule_deadline = NULL, job_generation = job_generation + 1,
                         updated_at = now()
         WHERE id = $1 RETURNING ${TASK_COLUMNS}
      ), ${eventInsert(`SELECT owner_id, id, 'task.retried', status, task_type, NULL::int,
            jsonb_build_object('attemptsBefore', attempts) FROM task`)}
      SELECT ${TASK_COLUMNS} FROM task`,
      [taskId],
    );
    return taskFromRow(row);
  }

  /**
   * Runs `work` in one transaction, and announces the task events it wrote (cancel, retry) once
   * it has committed.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.dataSource.transaction(work);
    this.events.announce();
    return result;
  }
}
