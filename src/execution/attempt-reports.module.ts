import { Module } from '@nestjs/common';
import { AttemptReports } from './attempt-reports.service';
import { ExecutionRepository } from './execution.repository';
import { TaskEventsModule } from './task-events.module';

/**
 * The part of execution the API needs: agents' reports on their running attempts (AttemptReports),
 * for the agent API. The rest of execution runs only where workers run (ExecutionModule).
 */
@Module({
  imports: [TaskEventsModule],
  providers: [ExecutionRepository, AttemptReports],
  exports: [AttemptReports],
})
export class AttemptReportsModule {}
