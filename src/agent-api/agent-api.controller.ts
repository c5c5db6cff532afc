import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { AgentsService } from '../agents/agents.service';
import { HEARTBEAT_EXAMPLE, HeartbeatDto, HeartbeatResponseDto } from '../agents/dto/heartbeat.dto';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { AgentRoute } from '../common/decorators/credentials.decorator';
import { AuthenticatedAgent, CurrentAgent } from '../common/decorators/current-user.decorator';
import { IdParam } from '../common/decorators/id-param.decorator';
import { TasksErrorCode } from '../tasks/tasks.errors';
import { AgentApiErrorCode } from './agent-api.errors';
import { AgentApiService } from './agent-api.service';
import { PROGRESS_EXAMPLE, ReportProgressDto } from './dto/report-progress.dto';
import {
  ERROR_EXAMPLE,
  ReportResultDto,
  ReportResultResponseDto,
  RESULT_EXAMPLE,
} from './dto/report-result.dto';

const ApiTaskId = () =>
  ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'The task id of the dispatch (its "taskId")',
  });

const REPORT_PROBLEMS = [
  {
    status: 404,
    description: 'No such task, or it never ran on this agent',
    code: TasksErrorCode.TaskNotFound,
  },
  {
    status: 409,
    description:
      'The attempt is not running on this agent: finished, timed out, cancelled or already reported',
    code: AgentApiErrorCode.AttemptNotRunning,
  },
];

/**
 * The agent's own API (docs/agent-protocol.md): every route here is called by an agent with its
 * agent token (@AgentRoute on the controller), about itself; user tokens and API keys get 401.
 */
@ApiTags('agent')
@AgentRoute()
@Controller({ path: 'agent', version: '1' })
export class AgentApiController {
  constructor(
    private readonly agents: AgentsService,
    private readonly reports: AgentApiService,
  ) {}

  @Post('heartbeat')
  @ApiOperation({
    summary: 'Send a heartbeat as the agent',
    description:
      'The agent says it is alive and in which state (active by default): only active agents are ' +
      "routed tasks, and an agent whose heartbeats stop is marked inactive. The same as the owner's " +
      'POST /api/v1/agents/{id}/heartbeat, sent by the agent with its agentToken, which keeps ' +
      "working when its owner's access tokens expire. Not audited.",
  })
  @ApiBody({
    type: HeartbeatDto,
    examples: { active: { summary: 'Ready for tasks', value: HEARTBEAT_EXAMPLE } },
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: HeartbeatResponseDto })
  heartbeat(
    @CurrentAgent() agent: AuthenticatedAgent,
    @Body() dto: HeartbeatDto,
  ): Promise<HeartbeatResponseDto> {
    return this.agents.beat(agent.agentId, agent.ownerId, dto.status);
  }

  @Post('tasks/:id/progress')
  @ApiOperation({
    summary: 'Report progress on a running attempt',
    description:
      'While the agent works on an attempt it accepted (202), it may say how far it got: the ' +
      'latest progress is kept with the attempt. 409 when the attempt is not running on this ' +
      'agent (finished, timed out, cancelled, or another number); 404 when the task never ran on ' +
      'it. Not audited.',
  })
  @ApiTaskId()
  @ApiBody({
    type: ReportProgressDto,
    examples: { progress: { summary: 'A third done', value: PROGRESS_EXAMPLE } },
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Kept as the latest progress of the attempt' })
  @ApiProblemResponses(...REPORT_PROBLEMS)
  progress(
    @CurrentAgent() agent: AuthenticatedAgent,
    @IdParam() id: string,
    @Body() dto: ReportProgressDto,
  ): Promise<void> {
    return this.reports.progress(agent.agentId, id, dto);
  }

  @Post('tasks/:id/result')
  @ApiOperation({
    summary: 'Report the result (or error) of a running attempt',
    description:
      'Ends an attempt the agent accepted (202), as a synchronous reply would: `result` ' +
      'completes the task; `error` with `retryable: true` retries it with backoff while ' +
      'attempts remain, `retryable: false` fails it now. The first answer wins: 409 when the ' +
      'attempt is not running on this agent (finished, timed out, cancelled or already ' +
      'reported); 404 when the task never ran on it. Recorded as task.complete or task.fail ' +
      'when it ends the task.',
  })
  @ApiTaskId()
  @ApiBody({
    type: ReportResultDto,
    examples: {
      result: { summary: 'Done', value: RESULT_EXAMPLE },
      error: { summary: 'Failed for good', value: ERROR_EXAMPLE },
    },
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ReportResultResponseDto, description: 'The task after the report' })
  @ApiProblemResponses(...REPORT_PROBLEMS)
  result(
    @CurrentAgent() agent: AuthenticatedAgent,
    @IdParam() id: string,
    @Body() dto: ReportResultDto,
  ): Promise<ReportResultResponseDto> {
    return this.reports.result(agent.agentId, id, dto);
  }
}
