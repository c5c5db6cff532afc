import { Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { MetricsService } from '../metrics/metrics.service';
import { TaskQueue } from '../queue/task-queue.service';
import { CreateTaskDto } from './dto/create-task.dto';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TaskAttemptDto, TaskAttemptListDto } from './dto/task-attempt.dto';
import { TaskDto } from './dto/task.dto';
import { FINAL_TASK_STATUSES, TaskStatus } from './entities/task.entity';
import { TasksRepository } from './tasks.repository';
import { TasksError, TasksErrorCode } from './tasks.errors';

/** What POST /api/v1/tasks/:id/retry takes back to pending. */
const RETRYABLE_STATUSES: readonly TaskStatus[] = ['failed', 'cancelled'];

export interface CreatedTask {
  task: TaskDto;
  /** False when the Idempotency-Key named a task created earlier, which is returned instead. */
  created: boolean;
}

/** The task API: owners see their own tasks, admins every task. */
@Injectable()
export class TasksService {
  constructor(
    private readonly repository: TasksRepository,
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
    if (dto.agentId && !(await this.repository.ownsAgent(actor.id, dto.agentId))) {
      // A retry of a request that created its task when the agent existed gets that task.
      const earlier = await this.repository.byIdempotencyKey(actor.id, idempotencyKey);
      if (earlier) return { task: TaskDto.from(earlier), created: false };
      throw new TasksError(
        TasksErrorCode.UnknownAgent,
        `agentId ${dto.agentId} is not one of your agents (see GET /api/v1/agents).`,
      );
    }
    const { task, created } = await this.repository.insert(actor.id, dto, idempotencyKey, client);
    if (created) {
      this.metrics.taskCounted('created', task.taskType);
      await this.queue.enqueue(task);
    }
    return { task: TaskDto.from(task), created };
  }

  /** The JSON of the Page<TaskDto> answer, written without building the page in JavaScript. */
  list(actor: AuthenticatedUser, query: ListTasksDto): Promise<string> {
    return this.repository.list(actor, query);
  }

  async get(actor: AuthenticatedUser, id: string): Promise<TaskDto> {
    return TaskDto.from(await this.repository.findVisible(actor, id));
  }

  /**
   * Pending and in_progress tasks can be cancelled; an attempt under way is closed as cancelled
   * and its worker stops it and tells the agent (TasksRepository.cancel).
   */
  async cancel(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<TaskDto> {
    const task = await this.repository.transaction(async (manager) => {
      const current = await this.repository.findVisible(actor, id, manager, true);
      if (FINAL_TASK_STATUSES.includes(current.status)) {
        throw new TasksError(
          TasksErrorCode.TaskAlreadyFinished,
          `The task is already ${current.status}.`,
        );
      }
      const cancelled = await this.repository.cancel(manager, current.id);
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
      return cancelled;
    });
    this.metrics.taskCounted('cancelled', task.taskType);
    await this.queue.discard(task);
    return TaskDto.from(task);
  }

  /**
   * A failed or cancelled task goes back to pending with a fresh budget of maxAttempts (its
   * attempts and their numbering go on) and is queued again; recorded as task.retry. The row
   * changes, their task.retried event and the record are written in one transaction. When queueing
   * fails, the reconciler queues the pending task.
   */
  async retry(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<TaskDto> {
    const task = await this.repository.transaction(async (manager) => {
      const current = await this.repository.findVisible(actor, id, manager, true);
      if (!RETRYABLE_STATUSES.includes(current.status)) {
        throw new TasksError(
          TasksErrorCode.TaskNotRetryable,
          `The task is ${current.status}: only a failed or cancelled task can be retried.`,
        );
      }
      const retried = await this.repository.retry(manager, current.id);
      await this.audit.record(
        {
          action: AuditAction.TaskRetry,
          actorId: actor.id,
          resourceType: 'task',
          resourceId: current.id,
          client,
          details: {
            ownerId: current.ownerId,
            previousStatus: current.status,
            attemptsBefore: current.attempts,
          },
        },
        manager,
      );
      return retried;
    });
    await this.queue.enqueue(task);
    return TaskDto.from(task);
  }

  async attempts(actor: AuthenticatedUser, id: string): Promise<TaskAttemptListDto> {
    await this.repository.findVisible(actor, id);
    return { items: (await this.repository.attempts(id)).map(TaskAttemptDto.from) };
  }
}
