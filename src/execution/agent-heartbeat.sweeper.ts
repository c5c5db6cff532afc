import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Periodic } from '../common/async/periodic';
import { AppConfig } from '../config/app-config';
import { ExecutionRepository } from './execution.repository';

/** How long a stopping process waits for a sweep under way. */
const SHUTDOWN_WAIT_MS = 2000;

/**
 * Sets agents whose heartbeat is older than AGENT_HEARTBEAT_TTL_S to inactive, every
 * AGENT_SWEEP_INTERVAL_MS, in processes that run workers (it is part of the execution module).
 * Each sweep is one idempotent UPDATE, so any number of instances may sweep at once.
 */
@Injectable()
export class AgentHeartbeatSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AgentHeartbeatSweeper.name);
  private readonly periodic: Periodic;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ExecutionRepository,
  ) {
    this.periodic = new Periodic(() => this.sweep(), config.agents.sweepIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  /**
   * Before the connection pool closes: stop the timer and let a sweep under way finish, unless an
   * unresponsive PostgreSQL holds it (the UPDATE is idempotent; the next sweep anywhere redoes it).
   */
  async onModuleDestroy(): Promise<void> {
    if (!(await this.periodic.stop(SHUTDOWN_WAIT_MS))) {
      this.logger.warn(`A heartbeat sweep did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  async sweep(): Promise<void> {
    try {
      const expired = await this.repository.expireHeartbeats(this.config.agents.heartbeatTtlS);
      if (expired > 0) this.logger.log(`Set ${expired} agent(s) inactive: heartbeat expired`);
    } catch (error) {
      this.logger.error({ err: error }, 'Agent heartbeat sweep failed');
    }
  }
}
