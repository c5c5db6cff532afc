import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { AgentsService } from '../agents/agents.service';
import { JsonObject, JsonValue } from '../common/json';
import { AttemptOutcome } from './entities/task-attempt.entity';
import { TaskPriority, TaskStatus } from './entities/task.entity';
import { preparedQuery } from './prepared-query';
import {
  FAIL_EXHAUSTED,
  FINISH_ATTEMPT,
  INTERRUPT_TASK,
  RECORD_UNROUTED,
  START_ATTEMPT,
} from './task-state.sql';

/** Longest error text stored per attempt and task (agents' messages are not ours to trust). */
const MAX_ERROR_LENGTH = 1000;

export const INTERRUPTED =
  'interrupted: the worker stopped (crashed, was killed or lost its lock) before the agent answered';

function bounded(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/** A task an attempt has just started on. */
export interface StartedAttempt {
  attemptId: string;
  attempt: number;
  maxAttempts: number;
  name: string;
  taskType: string;
  parameters: JsonObject;
  priority: TaskPriority;
  timeoutMs: number | null;
  /** Agents of attempts left running by a dead worker, whose slots are now to be given back. */
  interruptedAgentIds: string[];
}

export interface AttemptResult {
  outcome: AttemptOutcome;
  httpStatus: number | null;
  error: string | null;
  result?: JsonValue;
}

/** The task after an attempt was recorded; null status when the task was not changed. */
export interface RecordedAttempt {
  status: TaskStatus | null;
  attempt: number;
}

interface StartRow {
  attempt_id: string;
  attempts: number;
  max_attempts: number;
  name: string;
  task_type: string;
  parameters: JsonObject;
  priority: TaskPriority;
  timeout_ms: number | null;
  interrupted_agent_ids: string[];
}

interface TaskChangeRow {
  status: TaskStatus | null;
  owner_id: string | null;
  attempts: number | null;
  error_message: string | null;
  attempt_closed: boolean;
  agent_id: string | null;
  interrupted_agent_ids: string[];
}

/**
 * Every change of a task's state during its execution (statements in task-state.sql.ts). A change
 * that finishes the task writes its audit record, and one that closes an attempt gives its agent's
 * slot back, in the same transaction.
 */
@Injectable()
export class TaskStateStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly agents: AgentsService,
  ) {}

  /**
   * Marks the task in_progress on `agentId` and opens attempt number attempts + 1, closing any
   * attempt a dead worker left running. Null when the task is finished or cancelled.
   */
  async start(taskId: string, agentId: string): Promise<StartedAttempt | null> {
    const [row] = await preparedQuery<StartRow>(this.dataSource, START_ATTEMPT, [
      taskId,
      agentId,
      INTERRUPTED,
    ]);
    if (!row) return null;
    return {
      attemptId: row.attempt_id,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      name: row.name,
      taskType: row.task_type,
      parameters: row.parameters,
      priority: row.priority,
      timeoutMs: row.timeout_ms,
      interruptedAgentIds: row.interrupted_agent_ids,
    };
  }

  /**
   * Records an attempt that found no agent to run on (a retryable failure): the task goes back to
   * pending, or to failed when that was its last attempt. Null when the task is already over.
   */
  async recordUnrouted(taskId: string, error: string): Promise<RecordedAttempt | null> {
    const message = bounded(error);
    return this.dataSource.transaction(async (manager) => {
      const [row] = await preparedQuery<TaskChangeRow>(manager, RECORD_UNROUTED, [
        taskId,
        message,
        INTERRUPTED,
      ]);
      if (!row) return null;
      await this.auditIfFinished(manager, taskId, row);
      await this.release(manager, row.interrupted_agent_ids);
      return this.recorded(row);
    });
  }

  /**
   * Closes a running attempt with its outcome and moves the task on: completed, back to pending
   * (retryable with attempts left) or failed. When someone else already closed the attempt (the
   * reconciler or a second worker took over), only a success still completes the task: the work
   * is done, whoever noticed first.
   */
  async finish(taskId: string, attemptId: string, result: AttemptResult): Promise<RecordedAttempt> {
    const error = result.error === null ? null : bounded(result.error);
    const json = result.outcome === 'succeeded' ? JSON.stringify(result.result ?? null) : null;
    return this.dataSource.transaction(async (manager) => {
      const [row] = await preparedQuery<TaskChangeRow>(manager, FINISH_ATTEMPT, [
        taskId,
        attemptId,
        result.outcome,
        result.httpStatus,
        error,
        json,
      ]);
      await this.auditIfFinished(manager, taskId, row);
      // The slot goes back in the transaction that closes the attempt: the agent's in_flight
      // never counts an attempt that is over, whatever happens to this process after the commit.
      if (row.attempt_closed && row.agent_id) await this.release(manager, [row.agent_id]);
      return this.recorded(row);
    });
  }

  /**
   * For the reconciler: an in_progress task whose worker is gone. Closes its running attempt as
   * interrupted and puts the task back to pending, or fails it when no attempt is left.
   */
  async interrupt(taskId: string): Promise<RecordedAttempt | null> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await preparedQuery<TaskChangeRow>(manager, INTERRUPT_TASK, [
        taskId,
        INTERRUPTED,
      ]);
      if (!row) return null;
      await this.auditIfFinished(manager, taskId, row);
      await this.release(manager, row.interrupted_agent_ids);
      return this.recorded(row);
    });
  }

  /** For the reconciler: a pending task whose attempts are all used up. */
  async failExhausted(taskId: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const [row] = await preparedQuery<TaskChangeRow>(manager, FAIL_EXHAUSTED, [taskId]);
      if (!row) return false;
      await this.auditIfFinished(manager, taskId, row);
      return true;
    });
  }

  private recorded(row: TaskChangeRow): RecordedAttempt {
    return { status: row.status, attempt: row.attempts ?? 0 };
  }

  /** Gives agent slots back, last in the transaction so the agent row stays locked briefly. */
  private async release(manager: EntityManager, agentIds: string[]): Promise<void> {
    for (const agentId of agentIds) await this.agents.releaseAgent(agentId, manager);
  }

  /** task.complete / task.fail, by the system (no actor), in the transaction of the change. */
  private async auditIfFinished(
    manager: EntityManager,
    taskId: string,
    row: TaskChangeRow,
  ): Promise<void> {
    if (row.status !== 'completed' && row.status !== 'failed') return;
    await this.audit.record(
      {
        action: row.status === 'completed' ? AuditAction.TaskComplete : AuditAction.TaskFail,
        outcome: row.status === 'completed' ? 'success' : 'failure',
        actorId: null,
        resourceType: 'task',
        resourceId: taskId,
        details: {
          ownerId: row.owner_id,
          attempts: row.attempts,
          ...(row.status === 'failed' ? { error: row.error_message } : {}),
        },
      },
      manager,
    );
  }
}
