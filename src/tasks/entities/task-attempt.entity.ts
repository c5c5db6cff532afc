import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * How an attempt ended (docs/agent-protocol.md, "Attempt outcomes"): `cancelled` when the owner
 * cancelled the task while it ran, `interrupted` when the worker stopped or died before the agent
 * answered (retried like a retryable error).
 */
export const ATTEMPT_OUTCOMES = [
  'succeeded',
  'retryable_error',
  'permanent_error',
  'cancelled',
  'interrupted',
] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** One try at dispatching a task: running while outcome and finishedAt are null. */
@Entity('task_attempts')
export class TaskAttempt {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'task_id', type: 'uuid' })
  taskId: string;

  @Column({ type: 'int' })
  number: number;

  @Column({ name: 'agent_id', type: 'uuid', nullable: true })
  agentId: string | null;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3 })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', precision: 3, nullable: true })
  finishedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  outcome: AttemptOutcome | null;

  @Column({ name: 'http_status', type: 'int', nullable: true })
  httpStatus: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;
}
