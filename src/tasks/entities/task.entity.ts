import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { JsonObject, JsonValue } from '../../common/json';

export const TASK_PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];

export const TASK_STATUSES = [
  'pending',
  'in_progress',
  'completed',
  'failed',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** States a task never leaves. */
export const FINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

/** A unit of work submitted by a user and dispatched to one of their agents. */
@Entity('tasks')
export class Task {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  /** The agent that ran the latest attempt. */
  @Column({ name: 'agent_id', type: 'uuid', nullable: true })
  agentId: string | null;

  /** The agent the client named; null when the task is routed by capability. */
  @Column({ name: 'requested_agent_id', type: 'uuid', nullable: true })
  requestedAgentId: string | null;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 2000, nullable: true })
  description: string | null;

  @Column({ name: 'task_type', type: 'varchar', length: 100 })
  taskType: string;

  @Column({ type: 'jsonb', default: {} })
  parameters: JsonObject;

  @Column({ type: 'text', default: 'normal' })
  priority: TaskPriority;

  @Column({ type: 'text', default: 'pending' })
  status: TaskStatus;

  @Column({ type: 'jsonb', nullable: true })
  result: JsonValue | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'max_attempts', type: 'int', default: 3 })
  maxAttempts: number;

  /**
   * The attempts made before the latest retry (0 before any): the current run may make
   * maxAttempts more, numbered on from attemptsBase + 1.
   */
  @Column({ name: 'attempts_base', type: 'int', default: 0 })
  attemptsBase: number;

  @Column({ name: 'timeout_ms', type: 'int', nullable: true })
  timeoutMs: number | null;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey: string | null;

  /** How long the task may wait for an agent; TASK_SCHEDULE_TIMEOUT_MS when null. */
  @Column({ name: 'schedule_timeout_ms', type: 'int', nullable: true })
  scheduleTimeoutMs: number | null;

  /** Not dispatched before then (its queue job is delayed until then); null: at once. */
  @Column({ name: 'run_at', type: 'timestamptz', precision: 3, nullable: true })
  runAt: Date | null;

  /** Which queue job may run the task (TaskQueue: the job id); a new one each time it is woken. */
  @Column({ name: 'job_generation', type: 'int', default: 0 })
  jobGeneration: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt: Date | null;
}

/** A tasks row as raw SQL returns it (snake_case). */
export interface TaskRow {
  id: string;
  owner_id: string;
  agent_id: string | null;
  requested_agent_id: string | null;
  name: string;
  description: string | null;
  task_type: string;
  parameters: JsonObject;
  priority: TaskPriority;
  status: TaskStatus;
  result: JsonValue | null;
  error_message: string | null;
  attempts: number;
  max_attempts: number;
  attempts_base: number;
  timeout_ms: number | null;
  idempotency_key: string | null;
  schedule_timeout_ms: number | null;
  run_at: Date | null;
  job_generation: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export function taskFromRow(row: TaskRow): Task {
  return Object.assign(new Task(), {
    id: row.id,
    ownerId: row.owner_id,
    agentId: row.agent_id,
    requestedAgentId: row.requested_agent_id,
    name: row.name,
    description: row.description,
    taskType: row.task_type,
    parameters: row.parameters,
    priority: row.priority,
    status: row.status,
    result: row.result,
    errorMessage: row.error_message,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    attemptsBase: row.attempts_base,
    timeoutMs: row.timeout_ms,
    idempotencyKey: row.idempotency_key,
    scheduleTimeoutMs: row.schedule_timeout_ms,
    runAt: row.run_at,
    jobGeneration: row.job_generation,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  });
}
