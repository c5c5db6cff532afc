import { Injectable } from '@nestjs/common';
import { AttemptReport, AttemptReports } from '../execution/attempt-reports.service';
import { ReportOutcome } from '../execution/execution.records';
import { TasksError, TasksErrorCode } from '../tasks/tasks.errors';
import { AgentApiError, AgentApiErrorCode } from './agent-api.errors';
import { ReportProgressDto } from './dto/report-progress.dto';
import { ReportResultDto, ReportResultResponseDto } from './dto/report-result.dto';

/** The agent's reports on its tasks: what they are answered (docs/agent-protocol.md, "Long work"). */
@Injectable()
export class AgentApiService {
  constructor(private readonly reports: AttemptReports) {}

  async progress(agentId: string, taskId: string, dto: ReportProgressDto): Promise<void> {
    answered(await this.reports.progress(agentId, taskId, dto.attempt, dto), dto.attempt);
  }

  async result(
    agentId: string,
    taskId: string,
    dto: ReportResultDto,
  ): Promise<ReportResultResponseDto> {
    const report: AttemptReport =
      dto.error === undefined ? { result: dto.result ?? null } : { error: dto.error };
    return {
      status: answered(
        await this.reports.result(agentId, taskId, dto.attempt, report),
        dto.attempt,
      ),
    };
  }
}

/** The task's status after the report; 404 for a task that never ran on the agent, 409 for an attempt not running. */
function answered(outcome: ReportOutcome, attempt: number) {
  switch (outcome.kind) {
    case 'unknown':
      throw new TasksError(TasksErrorCode.TaskNotFound, 'Task not found.');
    case 'not-running':
      throw new AgentApiError(
        AgentApiErrorCode.AttemptNotRunning,
        `Attempt ${attempt} of the task is not running on this agent: it finished, timed out, ` +
          'was cancelled or was already reported.',
      );
    case 'recorded':
      return outcome.status;
  }
}
