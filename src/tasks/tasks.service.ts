import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { auditInsert } from '../audit/audit.sql';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { findVisible } from '../common/ownership/owned';
import { MetricsService } from '../metrics/metrics.service';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TaskAttemptDto, TaskAttemptListDto } from './dto/task-attempt.dto';
import { TaskDto } from './dto/task.dto';
import { TaskAttempt } from './entities/task-attempt.entity';
import { FINAL_TASK_STATUSES, Task, taskFromRow, TaskRow } from './entities/task.entity';
import { preparedQuery } from '../database/prepared-query';
import { listTasks } from './task-list.query';
import { TaskQueue } from '../queue/task-queue.service';
import { TasksError, TasksErrorCode } from './tasks.errors';

const NOT_FOUND = () => new TasksError(TasksErrorCode.TaskNotFound, 'Task not found.');

const TASK_COLUMNS = `id, owner_id, agent_id, requested_agent_id, name, description, task_type,
  parameters, priority, status, result, error_message, attempts, max_attempts, timeout_ms,
  idempotency_key, created_at, updated_at, started_at, completed_at`;

/**
 * The task and its task.create record in one statement, prepared (see preparedQuery); columns
 * named, so a column added later cannot break its plan. $11..$13: the client's address, user agent
 * and request id (insertTaskValues). Exported for the benchmarks' ceilings (bench/).
 */
export const INSERT_TASK = {
  name: 'ymera_task_insert',
  text: `WITH task AS (
    INSERT INTO tasks (owner_id, requested_agent_id, name, description, task_type, parameters,
                       priority, max_attempts, timeout_ms, idempotency_key)
    VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)
    ON CONFLICT (owner_id, idempotency_key) DO NOTHING
    RETURNING ${TASK_COLUMNS}
  ), audit AS (
    ${auditInsert(`SELECT '${AuditAction.TaskCreate}', 'success', owner_id, 'task', id::text, $11, $12, $13,
        jsonb_build_object('name', name, 'taskType', task_type, 'priority', priority,
                           'requestedAgentId', requested_agent_id, 'maxAttempts', max_attempts)
      FROM task`)}
  )
  SELECT ${TASK_COLUMNS} FROM task`,
};
const DEFAULT_MAX_ATTEMPTS = 3;

/** INSERT_TASK's parameters: a new task of `ownerId` as the client asked for it. */
export function insertTaskValues(
  ownerId: string,
  dto: CreateTaskDto,
  idempotencyKey: string | null,
  client: ClientContext,
): unknown[] {
  return [
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
  ];
}

export interface CreatedTask {
  task: TaskDto;
  /** False when the Idempotency-Key named a task created earlier, which is returned instead. */
  created: boolean;
}

/** The task API: owners see their own tasks, admins every task. */
@Injectable()
export class TasksService {
  constructor(
    @InjectRepository(Task) private readonly tasks: Repository<Task>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly queue: TaskQueue,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * Stores the task (with its audit record) and only then queues it. When queueing fails the task
   * is still accepted: it is committed, and the reconciler queues it once Redis answers again.
   */
  async create(
    actor: AuthenticatedUser,
    dto: CreateTaskDto,
    idempotencyKey: string | null,
    client: ClientContext,
  ): Promise<CreatedTask> {
    // ON CONFLICT DO NOTHING: of two requests racing with one key, the second waits for the first
    // to commit and then finds its row instead of failing on the unique constraint.
    const [inserted] = await preparedQuery<TaskRow>(
      this.dataSource,
      INSERT_TASK,
      insertTaskValues(actor.id, dto, idempotencyKey, client),
    );
    const outcome = inserted
      ? { task: taskFromRow(inserted), created: true }
      : {
          task: taskFromRow(await this.findByIdempotencyKey(actor.id, idempotencyKey)),
          created: false,
        };
    if (outcome.created) {
      this.metrics.taskCounted('created', outcome.task.taskType);
      await this.queue.enqueue(outcome.task);
    }
    return { task: TaskDto.from(outcome.task), created: outcome.created };
  }

  /** The JSON of the Page<TaskDto> answer, written without building the page in JavaScript. */
  list(actor: AuthenticatedUser, query: ListTasksDto): Promise<string> {
    return listTasks(this.dataSource, actor, query);
  }

  async get(actor: AuthenticatedUser, id: string): Promise<TaskDto> {
    return TaskDto.from(await findVisible(this.tasks.manager, Task, actor, id, NOT_FOUND));
  }

  /** Pending and in_progress tasks can be cancelled; an attempt under way finishes unheard. */
  async cancel(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<TaskDto> {
    const task = await this.dataSource.transaction(async (manager) => {
      const current = await findVisible(manager, Task, actor, id, NOT_FOUND, true);
      if (FINAL_TASK_STATUSES.includes(current.status)) {
        throw new TasksError(
          TasksErrorCode.TaskAlreadyFinished,
          `The task is already ${current.status}.`,
        );
      }
      const [[row]] = await manager.query<[TaskRow[], number]>(
        `UPDATE tasks SET status = 'cancelled', completed_at = now(), updated_at = now()
          WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
        [current.id],
      );
      await this.audit.record(
        {
          action: AuditAction.TaskCancel,
          actorId: actor.id,
          resourceType: 'task',
          resourceId: current.id,
          client,
          details: { ownerId: current.ownerId, previousStatus: current.status },
        },
        manager,
      );
      return taskFromRow(row);
    });
    this.metrics.taskCounted('cancelled', task.taskType);
    await this.queue.discard(task.id);
    return TaskDto.from(task);
  }

  async attempts(actor: AuthenticatedUser, id: string): Promise<TaskAttemptListDto> {
    await findVisible(this.tasks.manager, Task, actor, id, NOT_FOUND);
    const attempts = await this.tasks.manager
      .getRepository(TaskAttempt)
      .find({ where: { taskId: id }, order: { number: 'ASC' } });
    return { items: attempts.map(TaskAttemptDto.from) };
  }

  /** The task an Idempotency-Key created earlier (an insert with that key did nothing). */
  private async findByIdempotencyKey(ownerId: string, key: string | null): Promise<TaskRow> {
    const [existing] = await this.dataSource.query<TaskRow[]>(
      `SELECT ${TASK_COLUMNS} FROM tasks WHERE owner_id = $1 AND idempotency_key = $2`,
      [ownerId, key],
    );
    return existing;
  }
}
