import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { Metric } from './metric-definitions';

/** What pg's Pool tells about itself (pg-pool getters). */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

function isPool(value: unknown): value is PoolCounts {
  const pool = value as Partial<PoolCounts> | null;
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.totalCount === 'number' &&
    typeof pool.idleCount === 'number' &&
    typeof pool.waitingCount === 'number'
  );
}

/**
 * PostgreSQL pool gauges of this process, read from TypeORM's pg Pool at scrape time (nothing runs
 * between scrapes). A pool that is not open (before start, after shutdown) reads as empty.
 */
@Injectable()
export class DatabasePoolMetrics {
  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    @InjectMetric(Metric.DbPoolConnections) private readonly connections: Gauge,
    @InjectMetric(Metric.DbPoolIdle) private readonly idle: Gauge,
    @InjectMetric(Metric.DbPoolWaiting) private readonly waiting: Gauge,
    @InjectMetric(Metric.DbPoolMax) private readonly max: Gauge,
  ) {}

  /** Sets the gauges from this app's pool; called just before a scrape is serialised. */
  refresh(): void {
    const pool = this.pool();
    this.connections.set(pool?.totalCount ?? 0);
    this.idle.set(pool?.idleCount ?? 0);
    this.waiting.set(pool?.waitingCount ?? 0);
    this.max.set(this.config.database.poolMax);
  }

  private pool(): PoolCounts | undefined {
    if (!this.dataSource.isInitialized) return undefined;
    const master: unknown = (this.dataSource.driver as { master?: unknown }).master;
    return isPool(master) ? master : undefined;
  }
}
