import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VirtualColumn,
} from 'typeorm';
import { JsonObject } from '../../common/json';

export const AGENT_STATUSES = ['active', 'inactive', 'busy', 'error'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const AGENT_PROTOCOLS = ['http', 'a2a'] as const;
export type AgentProtocol = (typeof AGENT_PROTOCOLS)[number];

/** A registered AI agent: where it lives, what it can do, and how many tasks it may run at once. */
@Entity('agents')
export class Agent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description: string | null;

  @Column({ type: 'text', array: true })
  capabilities: string[];

  @Column({ type: 'text', default: 'inactive' })
  status: AgentStatus;

  @Column({ name: 'endpoint_url', type: 'varchar', length: 2048 })
  endpointUrl: string;

  @Column({ type: 'text', default: 'http' })
  protocol: AgentProtocol;

  @Column({ name: 'max_concurrency', type: 'int', default: 1 })
  maxConcurrency: number;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  config: JsonObject;

  /**
   * The HMAC key dispatch signs with, shared with the agent. Never selected unless asked for, so a
   * plain find() cannot carry it anywhere near a response.
   */
  @Column({ name: 'signing_secret', type: 'text', select: false })
  signingSecret: string;

  /**
   * SHA-256 of the agent's token (src/common/auth/machine-token.ts), which the agent calls its own
   * API with; null for an agent registered before agent tokens, until its credentials are rotated.
   */
  @Column({ name: 'token_hash', type: 'bytea', nullable: true, select: false })
  tokenHash: Buffer | null;

  /** Dispatches under way: the agent's running attempts (its slots themselves are AgentSlots'). */
  @VirtualColumn({
    type: 'int',
    query: (alias) =>
      `SELECT count(*)::int FROM task_attempts WHERE agent_id = ${alias}.id AND finished_at IS NULL`,
  })
  inFlight: number;

  @Column({ name: 'last_heartbeat', type: 'timestamptz', precision: 3, nullable: true })
  lastHeartbeat: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
