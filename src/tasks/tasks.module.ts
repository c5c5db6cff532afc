import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentsModule } from '../agents/agents.module';
import { AuditModule } from '../audit/audit.module';
import { AppConfig, AppRole } from '../config/app-config';
import { DispatchModule } from '../dispatch/dispatch.module';
import { TaskAttempt } from './entities/task-attempt.entity';
import { Task } from './entities/task.entity';
import { TaskQueue } from './task-queue.service';
import { TaskReconciler } from './task-reconciler.service';
import { TaskRunner } from './task-runner.service';
import { TaskStateStore } from './task-state.store';
import { TasksController } from './tasks.controller';
import { TasksProcessor } from './tasks.processor';
import { QueueName, QUEUES } from './tasks.queue';
import { TasksService } from './tasks.service';

/**
 * Tasks: the API (roles all and api) and the worker side (roles all and worker): the processor,
 * the runner and the reconciler. A process of role api registers no processor, so it never takes
 * a job; one of role worker registers no controller, so it serves no task route.
 */
@Module({})
export class TasksModule {
  static forRoot(role: AppRole): DynamicModule {
    const servesApi = role !== 'worker';
    const runsWorkers = role !== 'api';
    const workerProviders: Provider[] = [
      TaskStateStore,
      TaskRunner,
      TasksProcessor,
      TaskReconciler,
    ];
    return {
      module: TasksModule,
      imports: [
        TypeOrmModule.forFeature([Task, TaskAttempt]),
        BullModule.registerQueueAsync({
          name: QueueName.Tasks,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            settings: QUEUES[QueueName.Tasks].settings(config),
          }),
        }),
        AuditModule,
        AgentsModule,
        ...(runsWorkers ? [DispatchModule] : []),
      ],
      controllers: servesApi ? [TasksController] : [],
      providers: [
        TaskQueue,
        ...(servesApi ? [TasksService] : []),
        ...(runsWorkers ? workerProviders : []),
      ],
      exports: [TaskQueue],
    };
  }
}
