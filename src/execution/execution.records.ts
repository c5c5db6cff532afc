import { JsonObject, JsonValue } from '../common/json';
import { DispatchTarget } from '../dispatch/dispatch-target';
import { AttemptOutcome } from '../tasks/entities/task-attempt.entity';
import { TaskPriority, TaskStatus } from '../tasks/entities/task.entity';

/*
 * What ExecutionRepository hands out and takes (the records of a task's run), and the rows of
 * execution.sql.ts they are read from.
 */

/** An attempt that holds a slot on its agent (AgentSlots) while it runs. */
export interface SlotHolder {
  agentId: string;
  attemptId: string;
}

/** A running attempt as PostgreSQL records it. */
export interface RunningAttempt extends SlotHolder {
  startedAt: Date;
}

/** An attempt closed by someone other than its worker (a cancel, its agent's report), or by it. */
export interface ClosedAttempt {
  attemptId: string;
  outcome: AttemptOutcome;
  error: string | null;
  /** The task's status now, and its attempts. */
  status: TaskStatus;
  attempt: number;
}

/**
 * What the agent API makes of an agent's report: `unknown` when the task never ran on the agent
 * (none of its business), `not-running` when the attempt is not running on it (late, cancelled,
 * finished, or another number), else the task's status after it.
 */
export type ReportOutcome =
  | { kind: 'unknown' }
  | { kind: 'not-running' }
  | { kind: 'recorded'; status: TaskStatus; taskType: string | null };

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

/** The task after a change; null status when the task was not changed. */
export interface RecordedAttempt {
  status: TaskStatus | null;
  attempt: number;
  /** Attempts a dead worker left running that the change closed: their slots go back. */
  interrupted: SlotHolder[];
}

/** A task parked to wait for an agent, or failed because its wait is over. */
export interface ParkedTask extends RecordedAttempt {
  /** Why it failed, when it did. */
  error: string | null;
}

/** A pending or in_progress task the reconciler looks at, or one woken to be queued again. */
export interface UnfinishedTask {
  id: string;
  ownerId: string;
  taskType: string;
  requestedAgentId: string | null;
  priority: TaskPriority;
  attempts: number;
  maxAttempts: number;
  attemptsBase: number;
  timeoutMs: number | null;
  jobGeneration: number;
  runAt: Date | null;
  updatedAt: Date;
}

/** An agent that may take a task, and how many dispatches it accepts at once. */
export interface Candidate extends DispatchTarget {
  maxConcurrency: number;
}

/** A place in the pending backlog: the last task one reconciler pass looked at. */
export interface BacklogPosition {
  at: Date;
  id: string;
}

export interface StartRow {
  attempts: number;
  max_attempts: number;
  name: string;
  task_type: string;
  parameters: JsonObject;
  priority: TaskPriority;
  timeout_ms: number | null;
  interrupted_attempts: SlotHolder[];
}

export interface TaskChangeRow {
  status: TaskStatus | null;
  attempts: number | null;
  interrupted_attempts: SlotHolder[];
}

export interface FinishRow extends TaskChangeRow {
  closed: boolean;
}

/** The agent's report of its attempt (REPORT_RESULT, REPORT_PROGRESS). */
export interface ReportRow {
  /** REPORT_RESULT: the task's status after it; null when the attempt was not running. */
  status?: TaskStatus | null;
  task_type?: string | null;
  /** REPORT_PROGRESS: whether it was stored. */
  updated?: boolean;
  known: boolean;
}

export interface ClosedAttemptRow {
  id: string;
  outcome: AttemptOutcome;
  error: string | null;
  status: TaskStatus;
  attempts: number;
}

export interface ParkRow extends TaskChangeRow {
  error_message: string | null;
}

export interface UnfinishedRow {
  id: string;
  owner_id: string;
  task_type: string;
  requested_agent_id: string | null;
  priority: TaskPriority;
  attempts: number;
  max_attempts: number;
  attempts_base: number;
  timeout_ms: number | null;
  job_generation: number;
  run_at: Date | null;
  updated_at: Date;
}

/** What WAKE_TASKS answers: the agent's free slots (null: not active) and the tasks woken. */
export interface WakeRow {
  free: number | null;
  /** JSON: timestamps as text. */
  tasks: (Omit<UnfinishedRow, 'updated_at' | 'run_at'> & {
    updated_at: string;
    run_at: string | null;
  })[];
}

export interface CandidateRow {
  id: string;
  endpoint_url: string;
  protocol: DispatchTarget['protocol'];
  signing_secret: string;
  max_concurrency: number;
}

export function recorded(row: TaskChangeRow): RecordedAttempt {
  return { status: row.status, attempt: row.attempts ?? 0, interrupted: row.interrupted_attempts };
}

export function unfinished(row: UnfinishedRow): UnfinishedTask {
  return {
    id: row.id,
    ownerId: row.owner_id,
    taskType: row.task_type,
    requestedAgentId: row.requested_agent_id,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    attemptsBase: row.attempts_base,
    timeoutMs: row.timeout_ms,
    jobGeneration: row.job_generation,
    runAt: row.run_at,
    updatedAt: row.updated_at,
  };
}
