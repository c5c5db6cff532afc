import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AgentSlots } from '../agents/agent-slots';
import { JsonObject, JsonValue } from '../common/json';
import { AttemptOutcome } from './entities/task-attempt.entity';
import { TaskPriority, TaskStatus } from './entities/task.entity';
import { preparedQuery } from '../database/prepared-query';
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
  attempt: number;
  maxAttempts: number;
  name: string;
  taskType: string;
  parameters: JsonObject;
  priority: TaskPriority;
  timeoutMs: number | null;
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

/** An attempt a dead worker left running, closed as interrupted: its agent slot goes back. */
interface InterruptedAttempt {
  agentId: string;
  attemptId: string;
}

interface StartRow {
  attempts: number;
  max_attempts: number;
  name: string;
  task_type: string;
  parameters: JsonObject;
  priority: TaskPriority;
  timeout_ms: number | null;
  interrupted_attempts: InterruptedAttempt[];
}

interface TaskChangeRow {
  status: TaskStatus | null;
  attempts: number | null;
  interrupted_attempts: InterruptedAttempt[];
}

/**
 * Every change of a task's state during its execution, each one statement (task-state.sql.ts)
 * that also writes the audit record of a task that ends. The agent slots of attempts a dead worker
 * left running, which these statements close, are given back here.
 */
@Injectable()
export class TaskStateStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly slots: AgentSlots,
  ) {}

  /**
   * Marks the task in_progress on `agentId` and opens attempt number attempts + 1 with the id
   * `attemptId` (which holds the agent slot claimed for it), closing any attempt a dead worker left
   * running. Null when the task is finished or cancelled.
   */
  async start(taskId: string, agentId: string, attemptId: string): Promise<StartedAttempt | null> {
    const [row] = await preparedQuery<StartRow>(this.dataSource, START_ATTEMPT, [
      taskId,
      agentId,
      INTERRUPTED,
      attemptId,
    ]);
    if (!row) return null;
    await this.freeInterrupted(row.interrupted_attempts);
    return {
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      name: row.name,
      taskType: row.task_type,
      parameters: row.parameters,
      priority: row.priority,
      timeoutMs: row.timeout_ms,
    };
  }

  /**
   * Records an attempt that found no agent to run on (a retryable failure): the task goes back to
   * pending, or to failed when that was its last attempt. Null when the task is already over.
   */
  async recordUnrouted(taskId: string, error: string): Promise<RecordedAttempt | null> {
    const [row] = await preparedQuery<TaskChangeRow>(this.dataSource, RECORD_UNROUTED, [
      taskId,
      bounded(error),
      INTERRUPTED,
    ]);
    return row ? this.recorded(row) : null;
  }

  /**
   * Closes a running attempt with its outcome and moves the task on: completed, back to pending
   * (retryable with attempts left) or failed. When someone else already closed the attempt (the
   * reconciler or a second worker took over), only a success still completes the task: the work
   * is done, whoever noticed first.
   */
  async finish(taskId: string, attemptId: string, result: AttemptResult): Promise<RecordedAttempt> {
    const [row] = await preparedQuery<TaskChangeRow>(this.dataSource, FINISH_ATTEMPT, [
      taskId,
      attemptId,
      result.outcome,
      result.httpStatus,
      result.error === null ? null : bounded(result.error),
      result.outcome === 'succeeded' ? JSON.stringify(result.result ?? null) : null,
    ]);
    return this.recorded(row);
  }

  /**
   * For the reconciler: an in_progress task whose worker is gone. Closes its running attempt as
   * interrupted and puts the task back to pending, or fails it when no attempt is left.
   */
  async interrupt(taskId: string): Promise<RecordedAttempt | null> {
    const [row] = await preparedQuery<TaskChangeRow>(this.dataSource, INTERRUPT_TASK, [
      taskId,
      INTERRUPTED,
    ]);
    return row ? this.recorded(row) : null;
  }

  /** For the reconciler: a pending task whose attempts are all used up. */
  async failExhausted(taskId: string): Promise<boolean> {
    const rows = await preparedQuery<TaskChangeRow>(this.dataSource, FAIL_EXHAUSTED, [taskId]);
    return rows.length > 0;
  }

  private async recorded(row: TaskChangeRow): Promise<RecordedAttempt> {
    await this.freeInterrupted(row.interrupted_attempts);
    return { status: row.status, attempt: row.attempts ?? 0 };
  }

  private async freeInterrupted(attempts: InterruptedAttempt[]): Promise<void> {
    for (const { agentId, attemptId } of attempts) await this.slots.release(agentId, attemptId);
  }
}
