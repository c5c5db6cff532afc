import { DynamicModule, Module } from '@nestjs/common';
import { A2aModule } from './a2a/a2a.module';
import { AgentApiModule } from './agent-api/agent-api.module';
import { AgentsModule } from './agents/agents.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { QueueBoardModule } from './bull-board/queue-board.module';
import { LoggingModule } from './common/logging';
import { AppConfig, AppRole } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { ExecutionModule } from './execution/execution.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';
import { RootModule } from './root/root.module';
import { TasksModule } from './tasks/tasks.module';
import { WebhookDeliveryModule } from './webhooks/webhook-delivery.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * What a process of each APP_ROLE runs: the HTTP API (roles all and api; bootstrap.ts also sets up
 * the OpenAPI document there) and the execution module with the A2A card check and the webhook
 * deliveries (roles all and worker). Every process has
 * the infrastructure, health and metrics: a worker serves only /health, /health/live and /metrics.
 */
export function roleRuns(role: AppRole): { api: boolean; workers: boolean } {
  return { api: role !== 'worker', workers: role !== 'api' };
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const runs = roleRuns(config.role);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule,
        DatabaseModule.forRoot(config),
        RedisModule,
        QueueModule,
        HealthModule,
        MetricsModule,
        ...(runs.api
          ? [
              AuditModule,
              AuthModule,
              AgentsModule,
              AgentApiModule,
              ApiKeysModule,
              TasksModule,
              WebhooksModule,
              QueueBoardModule.forRoot(config),
              RootModule,
            ]
          : []),
        ...(runs.workers ? [ExecutionModule, A2aModule, WebhookDeliveryModule] : []),
      ],
    };
  }
}
