import { Injectable } from '@nestjs/common';
import { JsonObject, JsonValue } from '../common/json';
import { cleanAgentText } from '../dispatch/classify';
import { MetricsService } from '../metrics/metrics.service';
import { ReportOutcome } from './execution.records';
import { ExecutionRepository } from './execution.repository';

/** What an agent reports of an attempt it accepted: its result, or why it failed. */
export type AttemptReport =
  { result: JsonValue } | { error: { message: string; retryable: boolean } };

export interface ProgressReport {
  message?: string;
  percent?: number;
  data?: JsonObject;
}

/**
 * An agent's reports on its running attempts, through the agent API (docs/agent-protocol.md,
 * "Long work"): its result or error closes the attempt exactly as a synchronous reply would, the
 * first answer winning, and the worker waiting for it hears of it (ClosedAttempts); its progress is
 * kept with the attempt. Runs where the API runs (AttemptReportsModule).
 */
@Injectable()
export class AttemptReports {
  constructor(
    private readonly repository: ExecutionRepository,
    private readonly metrics: MetricsService,
  ) {}

  async result(
    agentId: string,
    taskId: string,
    attempt: number,
    report: AttemptReport,
  ): Promise<ReportOutcome> {
    const outcome = await this.repository.reportResult(
      taskId,
      attempt,
      agentId,
      'result' in report
        ? { outcome: 'succeeded', httpStatus: null, error: null, result: report.result }
        : {
            outcome: report.error.retryable ? 'retryable_error' : 'permanent_error',
            httpStatus: null,
            error: reported(report.error.message),
          },
    );
    if (
      outcome.kind === 'recorded' &&
      (outcome.status === 'completed' || outcome.status === 'failed') &&
      outcome.taskType !== null
    ) {
      this.metrics.taskCounted(outcome.status, outcome.taskType);
    }
    return outcome;
  }

  progress(
    agentId: string,
    taskId: string,
    attempt: number,
    report: ProgressReport,
  ): Promise<ReportOutcome> {
    return this.repository.reportProgress(taskId, attempt, agentId, {
      message: report.message ?? null,
      percent: report.percent ?? null,
      data: report.data ?? null,
    });
  }
}

/** The attempt's error, in the words of the agent's report, as a reply's would be kept. */
function reported(message: string): string {
  const said = cleanAgentText(message);
  return said ? `the agent reported: ${said}` : 'the agent reported an error';
}
