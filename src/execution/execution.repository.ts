import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JsonObject } from '../common/json';
import { preparedQuery } from '../database/prepared-query';
import { TaskEventsService } from './task-events.service';
import {
  AttemptResult,
  BacklogPosition,
  ClosedAttempt,
  ClosedAttemptRow,
  FinishRow,
  ReportOutcome,
  ReportRow,
  Candidate,
  CandidateRow,
  ParkedTask,
  ParkRow,
  recorded,
  RecordedAttempt,
  RunningAttempt,
  SlotHolder,
  StartedAttempt,
  StartRow,
  TaskChangeRow,
  unfinished,
  UnfinishedRow,
  UnfinishedTask,
  WakeRow,
} from './execution.records';
import {
  AGENTS_WITH_WAITING_TASKS,
  CANDIDATES,
  CLOSED_ATTEMPTS,
  REPORT_PROGRESS,
  REPORT_RESULT,
  EXPIRE_HEARTBEATS,
  EXPIRE_WAITING_TASKS,
  FAIL_EXHAUSTED,
  FINISH_ATTEMPT,
  INTERRUPT_TASK,
  PARK_TASK,
  RUNNING_ATTEMPTS,
  START_ATTEMPT,
  ABANDONED_TASKS,
  QUIET_PENDING_TASKS,
  WAKE_TASKS,
} from './execution.sql';

/**
 * Longest error text stored per attempt and task (agents' messages are not ours to trust): the
 * agent's own message (at most 1,000 characters, MAX_AGENT_MESSAGE_CHARS) after what Ymera says
 * of it ("the agent answered HTTP 422: ").
 */
const MAX_ERROR_LENGTH = 1100;

export const INTERRUPTED =
  'interrupted: the worker stopped (crashed, was killed or lost its lock) before the agent answered';

/** An error text as it is stored (and shown as the task's errorMessage). */
export function storedError(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

/**
 * Every statement of a task's run (execution.sql.ts): each change of its state, one statement
 * that also writes its task event and the audit record of a task that ends (each announced once
 * committed: TaskEventsService.announce); the reconciler's scans; and the routing reads of the
 * agents table (candidates, expired heartbeats).
 */
@Injectable()
export class ExecutionRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: TaskEventsService,
  ) {}

  /**
   * Marks the task in_progress on `agentId` and opens attempt number attempts + 1 with the id
   * `attemptId` (which holds the agent slot claimed for it), closing any attempt a dead worker left
   * running. Null when the task is finished or cancelled, or when `jobGeneration` is no longer
   * the task's (another job runs it).
   */
  async start(
    taskId: string,
    agentId: string,
    attemptId: string,
    jobGeneration: number,
  ): Promise<{ started: StartedAttempt; interrupted: SlotHolder[] } | null> {
    const [row] = await preparedQuery<StartRow>(this.dataSource, START_ATTEMPT, [
      taskId,
      agentId,
      INTERRUPTED,
      attemptId,
      jobGeneration,
    ]);
    if (!row) return null;
    this.events.announce();
    return {
      started: {
        attempt: row.attempts,
        maxAttempts: row.max_attempts,
        name: row.name,
        taskType: row.task_type,
        parameters: row.parameters,
        priority: row.priority,
        timeoutMs: row.timeout_ms,
      },
      interrupted: row.interrupted_attempts,
    };
  }

  /**
   * No agent can take the task now: it waits for one (status pending, no attempt spent), or fails
   * when its wait's deadline (`defaultBoundMs` after it started waiting, unless the task gives its
   * own) has passed. Null when the task is finished or cancelled, or `jobGeneration` is stale.
   */
  async park(
    taskId: string,
    jobGeneration: number,
    defaultBoundMs: number,
  ): Promise<ParkedTask | null> {
    const [row] = await preparedQuery<ParkRow>(this.dataSource, PARK_TASK, [
      taskId,
      jobGeneration,
      defaultBoundMs,
      INTERRUPTED,
    ]);
    if (!row) return null;
    this.events.announce();
    return { ...recorded(row), error: row.status === 'failed' ? row.error_message : null };
  }

  /**
   * Ends the wait of up to `limit` tasks `agentId` may run, most urgent first, as many as it has
   * free slots (`taken` of them are taken, and one per task woken for it in the last `holdMs`
   * whose attempt has not started): each gets a new job generation, to be queued with it, in
   * this order. `free` is null when the agent is not active.
   */
  async wake(
    agentId: string,
    taken: number,
    limit: number,
    holdMs: number,
  ): Promise<{ free: number | null; tasks: UnfinishedTask[] }> {
    const [row] = await preparedQuery<WakeRow>(this.dataSource, WAKE_TASKS, [
      agentId,
      taken,
      limit,
      holdMs,
    ]);
    return {
      free: row.free,
      tasks: row.tasks.map((task) =>
        unfinished({
          ...task,
          updated_at: new Date(task.updated_at),
          run_at: task.run_at === null ? null : new Date(task.run_at),
        }),
      ),
    };
  }

  /** Active agents that some waiting task could run on. */
  async agentsWithWaitingTasks(): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(AGENTS_WITH_WAITING_TASKS);
    return rows.map((row) => row.id);
  }

  /**
   * Fails up to `limit` waiting tasks whose wait's deadline passed; their task types, one per
   * task failed.
   */
  async expireWaiting(defaultBoundMs: number, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ task_type: string }[]>(EXPIRE_WAITING_TASKS, [
      defaultBoundMs,
      limit,
    ]);
    if (rows.length > 0) this.events.announce();
    return rows.map((row) => row.task_type);
  }

  /**
   * Closes a running attempt with its outcome and moves the task on: completed, back to pending
   * (retryable or interrupted with attempts left) or failed. When someone else already closed the
   * attempt (`closed` false): a cancel or the agent's report keeps its answer; after a takeover
   * (closed as interrupted) only a success still completes the task: the work is done, whoever
   * noticed first.
   */
  async finish(
    taskId: string,
    attemptId: string,
    result: AttemptResult,
  ): Promise<RecordedAttempt & { closed: boolean }> {
    const [row] = await preparedQuery<FinishRow>(this.dataSource, FINISH_ATTEMPT, [
      taskId,
      attemptId,
      result.outcome,
      result.httpStatus,
      result.error === null ? null : storedError(result.error),
      result.outcome === 'succeeded' ? JSON.stringify(result.result ?? null) : null,
    ]);
    if (row.status) this.events.announce();
    return { ...recorded(row), closed: row.closed };
  }

  /**
   * The agent's result (or error) for attempt `attempt` of `taskId`, which must be running on
   * `agentId`: closes it and moves the task on, the first answer winning, and tells the worker
   * that waits for it (ClosedAttempts).
   */
  async reportResult(
    taskId: string,
    attempt: number,
    agentId: string,
    result: AttemptResult,
  ): Promise<ReportOutcome> {
    const [row] = await preparedQuery<ReportRow>(this.dataSource, REPORT_RESULT, [
      taskId,
      attempt,
      agentId,
      result.outcome,
      result.error === null ? null : storedError(result.error),
      result.outcome === 'succeeded' ? JSON.stringify(result.result ?? null) : null,
    ]);
    if (!row.known) return { kind: 'unknown' };
    if (!row.status) return { kind: 'not-running' };
    this.events.announce();
    return { kind: 'recorded', status: row.status, taskType: row.task_type ?? null };
  }

  /** Keeps the latest progress of attempt `attempt` of `taskId`, running on `agentId`. */
  async reportProgress(
    taskId: string,
    attempt: number,
    agentId: string,
    progress: JsonObject,
  ): Promise<ReportOutcome> {
    const [row] = await preparedQuery<ReportRow>(this.dataSource, REPORT_PROGRESS, [
      taskId,
      attempt,
      agentId,
      JSON.stringify(progress),
    ]);
    if (!row.known) return { kind: 'unknown' };
    if (!row.updated) return { kind: 'not-running' };
    this.events.announce();
    return { kind: 'recorded', status: 'in_progress', taskType: null };
  }

  /** Of these attempts, the ones that are closed, with their task's status now. */
  async closedAttempts(attemptIds: string[]): Promise<ClosedAttempt[]> {
    const rows = await this.dataSource.query<ClosedAttemptRow[]>(CLOSED_ATTEMPTS, [attemptIds]);
    return rows.map((row) => ({
      attemptId: row.id,
      outcome: row.outcome,
      error: row.error,
      status: row.status,
      attempt: row.attempts,
    }));
  }

  /**
   * An in_progress task whose worker is gone: closes its running attempt as interrupted and puts
   * the task back to pending, or fails it when no attempt is left.
   */
  async interrupt(taskId: string): Promise<RecordedAttempt | null> {
    const [row] = await preparedQuery<TaskChangeRow>(this.dataSource, INTERRUPT_TASK, [
      taskId,
      INTERRUPTED,
    ]);
    if (!row) return null;
    this.events.announce();
    return recorded(row);
  }

  /** A pending task whose attempts are all used up: failed. False when it was not. */
  async failExhausted(taskId: string): Promise<boolean> {
    const rows = await preparedQuery<TaskChangeRow>(this.dataSource, FAIL_EXHAUSTED, [taskId]);
    if (rows.length === 0) return false;
    this.events.announce();
    return true;
  }

  /**
   * Runs `work` while holding the PostgreSQL advisory lock `lockId` (one holder across every
   * process sharing the database). False, without running it, when another holds the lock.
   */
  async exclusively(lockId: number, work: () => Promise<void>): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        lockId,
      ])) as { locked: boolean }[];
      if (!locked) return false;
      try {
        await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [lockId]);
      }
      return true;
    } finally {
      await runner.release();
    }
  }

  /** Pending tasks unchanged for `quietMs`, oldest first, after `after`. */
  async quietPending(
    quietMs: number,
    after: BacklogPosition | null,
    limit: number,
  ): Promise<UnfinishedTask[]> {
    const rows = await this.dataSource.query<UnfinishedRow[]>(QUIET_PENDING_TASKS, [
      quietMs,
      after?.at ?? null,
      after?.id ?? null,
      limit,
    ]);
    return rows.map(unfinished);
  }

  /**
   * In_progress tasks whose attempt has run longer than its timeout (`defaultTimeoutMs` when it
   * has none) plus `graceMs`.
   */
  async abandoned(defaultTimeoutMs: number, graceMs: number, limit: number) {
    const rows = await this.dataSource.query<UnfinishedRow[]>(ABANDONED_TASKS, [
      defaultTimeoutMs,
      graceMs,
      limit,
    ]);
    return rows.map(unfinished);
  }

  /** Every attempt running on an agent. */
  async runningAttempts(): Promise<RunningAttempt[]> {
    const rows =
      await this.dataSource.query<{ id: string; agent_id: string; started_at: Date }[]>(
        RUNNING_ATTEMPTS,
      );
    return rows.map((row) => ({
      attemptId: row.id,
      agentId: row.agent_id,
      startedAt: row.started_at,
    }));
  }

  /**
   * The agents of `ownerId` that may take a task of `taskType` (or the one named), freshest
   * heartbeat first, at most 100.
   */
  async candidates(
    ownerId: string,
    taskType: string,
    requestedAgentId: string | null,
  ): Promise<Candidate[]> {
    const rows = await preparedQuery<CandidateRow>(this.dataSource, CANDIDATES, [
      ownerId,
      taskType,
      requestedAgentId,
    ]);
    return rows.map((row) => ({
      id: row.id,
      endpointUrl: row.endpoint_url,
      protocol: row.protocol,
      signingSecret: row.signing_secret,
      maxConcurrency: row.max_concurrency,
    }));
  }

  /** Sets every active or busy agent whose last heartbeat is older than `ttlS` inactive. */
  async expireHeartbeats(ttlS: number): Promise<number> {
    const [, affected] = await this.dataSource.query<[unknown[], number]>(EXPIRE_HEARTBEATS, [
      ttlS,
    ]);
    return affected;
  }
}
