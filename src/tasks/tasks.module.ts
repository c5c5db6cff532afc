import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { QueueModule } from '../queue/queue.module';
import { TaskAttempt } from './entities/task-attempt.entity';
import { Task } from './entities/task.entity';
import { TasksController } from './tasks.controller';
import { TasksRepository } from './tasks.repository';
import { TasksService } from './tasks.service';

/** The task API: tasks are stored, then queued (QueueModule); the execution module runs them. */
@Module({
  imports: [TypeOrmModule.forFeature([Task, TaskAttempt]), AuditModule, QueueModule],
  controllers: [TasksController],
  providers: [TasksRepository, TasksService],
})
export class TasksModule {}
