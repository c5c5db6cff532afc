import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A user's subscription to their task events (migration Webhooks1764807000000). */
@Entity('webhooks')
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Event names, or "task.*" for every event. */
  @Column({ type: 'text', array: true })
  events: string[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  /** The signing secret; never selected unless asked for, so a plain find() cannot leak it. */
  @Column({ type: 'text', select: false })
  secret: string;

  /** The owner's last task event id at creation: the webhook receives the events after it. */
  @Column({ name: 'start_event_id', type: 'bigint' })
  startEventId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
