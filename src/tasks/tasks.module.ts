import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { TaskEventsModule } from '../execution/task-events.module';
import { QueueModule } from '../queue/queue.module';
import { TaskAttempt } from './entities/task-attempt.entity';
import { Task } from './entities/task.entity';
import { TaskEventHub } from './task-event-hub.service';
import { TaskEventStreams } from './task-event-streams.service';
import { TaskEventsController } from './task-events.controller';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

/**
 * The task API: tasks are stored, then queued (QueueModule); the execution module runs them. Their
 * events are streamed (TaskEventsController), which is listed first: its GET /tasks/events must be
 * routed before TasksController's GET /tasks/:id.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([Task, TaskAttempt]),
    AuditModule,
    QueueModule,
    TaskEventsModule,
  ],
  controllers: [TaskEventsController, TasksController],
  providers: [TasksRepository, TasksService, TaskEventHub, TaskEventStreams],
})
export class TasksModule {}
