import { Module } from '@nestjs/common';
import { TaskEventFeed } from './task-event-feed';
import { TaskEventsService } from './task-events.service';

/**
 * Task events for every process role: their reads and the feed of those that commit (the API's
 * event streams, the workers' webhook fan-out), and the announcement that some were written (the
 * events themselves are written by the statements of ExecutionRepository and TasksRepository).
 */
@Module({
  providers: [TaskEventsService, TaskEventFeed],
  exports: [TaskEventsService, TaskEventFeed],
})
export class TaskEventsModule {}
