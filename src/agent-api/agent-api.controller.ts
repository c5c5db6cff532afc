import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AgentsService } from '../agents/agents.service';
import { HEARTBEAT_EXAMPLE, HeartbeatDto, HeartbeatResponseDto } from '../agents/dto/heartbeat.dto';
import { AgentRoute } from '../common/decorators/credentials.decorator';
import { AuthenticatedAgent, CurrentAgent } from '../common/decorators/current-user.decorator';

/**
 * The agent's own API (docs/agent-protocol.md): every route here is called by an agent with its
 * agent token (@AgentRoute on the controller), about itself; user tokens and API keys get 401.
 */
@ApiTags('agent')
@AgentRoute()
@Controller({ path: 'agent', version: '1' })
export class AgentApiController {
  constructor(private readonly agents: AgentsService) {}

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
}
