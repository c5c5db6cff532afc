import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Periodic } from '../common/async/periodic';
import { AppConfig } from '../config/app-config';
import { A2aTransport, CARD_TIMEOUT_MS } from '../dispatch/a2a-transport';

/** Cards read per check at most, and at once at most. */
export const CARD_CHECK_BATCH = 200;
export const CARD_CHECK_CONCURRENCY = 8;
/** How long a stopping process waits for a check under way. */
const SHUTDOWN_WAIT_MS = 2000;

/**
 * a2a agents due a check: active or inactive (an agent that reported busy or error through the
 * API keeps its word), and not beaten within the last half interval, by this process or another
 * (so several workers share the checks rather than each reading every card), oldest first.
 */
const DUE = `
  SELECT id, endpoint_url FROM agents
   WHERE protocol = 'a2a' AND status IN ('active', 'inactive')
     AND (last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => $1))
   ORDER BY last_heartbeat ASC NULLS FIRST
   LIMIT $2`;

/** A readable card is a heartbeat: the same change POST /agents/:id/heartbeat makes. */
const BEAT = `
  UPDATE agents SET status = 'active', last_heartbeat = now()
   WHERE id = $1 AND protocol = 'a2a' AND status IN ('active', 'inactive')`;

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * A2A agents do not heartbeat: every AGENT_HEARTBEAT_TTL_S / 2, Ymera reads each a2a agent's card
 * (through the endpoint policy, like every request to an agent) and a readable, valid card counts
 * as a heartbeat; a failed read just does not beat, and the heartbeat sweeper sets the agent
 * inactive once its heartbeat expires (docs/agent-protocol.md, "A2A agents"). Runs where workers
 * run (AppModule), never in api-only processes.
 */
@Injectable()
export class A2aCardCheck implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(A2aCardCheck.name);
  private readonly periodic: Periodic;
  private readonly intervalMs: number;

  constructor(
    config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly a2a: A2aTransport,
  ) {
    this.intervalMs = (config.agents.heartbeatTtlS * 1000) / 2;
    this.periodic = new Periodic(() => this.check(), this.intervalMs);
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async onModuleDestroy(): Promise<void> {
    if (!(await this.periodic.stop(SHUTDOWN_WAIT_MS))) {
      this.logger.warn(`An A2A card check did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  async check(): Promise<void> {
    try {
      const due = await this.dataSource.query<{ id: string; endpoint_url: string }[]>(DUE, [
        this.intervalMs / 2000,
        CARD_CHECK_BATCH,
      ]);
      const timeoutMs = Math.min(CARD_TIMEOUT_MS, this.intervalMs);
      let beaten = 0;
      await eachLimited(due, CARD_CHECK_CONCURRENCY, async (agent) => {
        try {
          await this.a2a.readCard(agent.endpoint_url, timeoutMs);
        } catch (error) {
          this.logger.debug({ agentId: agent.id, err: error }, 'A2A agent card not readable');
          return;
        }
        await this.dataSource.query(BEAT, [agent.id]);
        beaten += 1;
      });
      if (beaten > 0) this.logger.debug(`${beaten} A2A agent card(s) read: heartbeats recorded`);
    } catch (error) {
      this.logger.error({ err: error }, 'A2A card check failed');
    }
  }
}
