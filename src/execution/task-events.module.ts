import { Module } from '@nestjs/common';
import { TaskEventsService } from './task-events.service';

/**
 * The reads of task events, for every process role: the API's event streams and the workers'
 * webhook fan-out (the events themselves are written by the statements of ExecutionRepository and
 * TasksRepository).
 */
@Module({
  providers: [TaskEventsService],
  exports: [TaskEventsService],
})
export class TaskEventsModule {}
