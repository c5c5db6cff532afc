import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { IdParam } from '../common/decorators/id-param.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { Page } from '../common/pagination/page';
import { Scopes } from '../common/decorators/credentials.decorator';
import { AgentCredentials } from './agent-credentials.service';
import { AgentsErrorCode } from './agents.errors';
import { AgentsService } from './agents.service';
import { AgentCredentialsDto, AgentDto, CreatedAgentDto } from './dto/agent.dto';
import { CREATE_AGENT_EXAMPLE, CreateAgentDto } from './dto/create-agent.dto';
import { HEARTBEAT_EXAMPLE, HeartbeatDto, HeartbeatResponseDto } from './dto/heartbeat.dto';
import { ListAgentsDto } from './dto/list-agents.dto';
import { UPDATE_AGENT_EXAMPLE, UpdateAgentDto } from './dto/update-agent.dto';

const AGENT_NOT_FOUND = {
  status: 404,
  description: 'No such agent, or not yours',
  code: AgentsErrorCode.AgentNotFound,
};

/** Documents the :id of an agent route. */
const ApiAgentId = () =>
  ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'The id of the agent (from POST or GET /api/v1/agents)',
  });

const AgentId = IdParam;

@ApiTags('agents')
@ApiBearerAuth()
@ApiBadRequestResponse({ description: 'Invalid input, or an endpointUrl the SSRF policy refuses' })
@Controller({ path: 'agents', version: '1' })
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly credentials: AgentCredentials,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Register an agent',
    description:
      'Registers an agent owned by the caller (any authenticated user). It starts inactive: tasks ' +
      'are routed to it once it sends a heartbeat. The answer holds the signingSecret the agent ' +
      'verifies requests with (docs/agent-protocol.md) and the agentToken it calls its own API ' +
      'with (/api/v1/agent/...), shown this once only. 400 when the endpointUrl is refused by ' +
      'the SSRF policy (endpoint-refused). A protocol "a2a" agent needs a readable agent card at ' +
      '<endpointUrl>/.well-known/agent-card.json (400 agent-card-unreachable or ' +
      "agent-card-invalid otherwise); without capabilities it takes the card's skill ids. It " +
      "becomes active once Ymera's card check reads the card.",
  })
  @Scopes('agents:write')
  @ApiBody({
    type: CreateAgentDto,
    examples: { agent: { summary: 'A summarising agent', value: CREATE_AGENT_EXAMPLE } },
  })
  @ApiCreatedResponse({
    type: CreatedAgentDto,
    description: 'The signingSecret and agentToken are shown only here',
  })
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateAgentDto,
    @Client() client: ClientContext,
  ): Promise<CreatedAgentDto> {
    return this.agents.create(user, dto, client);
  }

  @Get()
  @ApiOperation({
    summary: 'List agents',
    description:
      "The caller's agents, every user's for an admin, newest first; filtered by status and " +
      'capability, paged by skip or cursor.',
  })
  @Scopes('agents:read')
  @ApiPage(AgentDto, 'Your agents (every agent for admins), newest first')
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListAgentsDto,
  ): Promise<Page<AgentDto>> {
    return this.agents.list(user, query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get an agent',
    description:
      'One agent of the caller (any agent for an admin), without its signing secret. 404 when ' +
      'there is no such agent or it belongs to someone else.',
  })
  @Scopes('agents:read')
  @ApiAgentId()
  @ApiOkResponse({ type: AgentDto })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  get(@CurrentUser() user: AuthenticatedUser, @AgentId() id: string): Promise<AgentDto> {
    return this.agents.get(user, id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Update an agent',
    description:
      'Changes the fields sent, leaves the others (description null clears it); the owner or an ' +
      'admin may. A new endpointUrl is checked by the SSRF policy (400 endpoint-refused); 404 ' +
      'when there is no such agent or it belongs to someone else. Recorded as agent.update.',
  })
  @Scopes('agents:write')
  @ApiAgentId()
  @ApiBody({
    type: UpdateAgentDto,
    examples: { agent: { summary: 'More capacity', value: UPDATE_AGENT_EXAMPLE } },
  })
  @ApiOkResponse({ type: AgentDto })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  update(
    @CurrentUser() user: AuthenticatedUser,
    @AgentId() id: string,
    @Body() dto: UpdateAgentDto,
    @Client() client: ClientContext,
  ): Promise<AgentDto> {
    return this.agents.update(user, id, dto, client);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete an agent',
    description:
      'Removes the agent from the registry; the owner or an admin may. Tasks it ran are kept. ' +
      '404 when there is no such agent or it belongs to someone else. Recorded as ' +
      'agent.delete.',
  })
  @Scopes('agents:write')
  @ApiAgentId()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  remove(
    @CurrentUser() user: AuthenticatedUser,
    @AgentId() id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.agents.remove(user, id, client);
  }

  @Post(':id/heartbeat')
  @ApiOperation({
    summary: 'Send a heartbeat',
    description:
      'Records that the agent is alive and its state (active by default): only active agents are ' +
      'routed tasks, and an agent whose heartbeats stop is marked inactive. Called by the owner ' +
      '(or an admin) on behalf of the agent; not audited. 404 when there is no such agent or it ' +
      'belongs to someone else. The agent itself sends POST /api/v1/agent/heartbeat.',
  })
  @Scopes('agents:write')
  @ApiAgentId()
  @ApiBody({
    type: HeartbeatDto,
    examples: { active: { summary: 'Ready for tasks', value: HEARTBEAT_EXAMPLE } },
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  heartbeat(
    @CurrentUser() user: AuthenticatedUser,
    @AgentId() id: string,
    @Body() dto: HeartbeatDto,
  ): Promise<HeartbeatResponseDto> {
    return this.agents.heartbeat(user, id, dto.status);
  }

  @Post(':id/credentials')
  @ApiOperation({
    summary: 'Rotate agent credentials',
    description:
      'Issues the agent a new agentToken and signingSecret, shown in this answer only; the old ' +
      'token is refused at once on every api process and the next dispatch is signed with the ' +
      'new secret. The owner or an admin may. 404 when there is no such agent or it belongs to ' +
      'someone else. Recorded as agent.credentials_rotate.',
  })
  @Scopes('agents:write')
  @ApiAgentId()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: AgentCredentialsDto, description: 'Shown only here' })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  rotateCredentials(
    @CurrentUser() user: AuthenticatedUser,
    @AgentId() id: string,
    @Client() client: ClientContext,
  ): Promise<AgentCredentialsDto> {
    return this.credentials.rotate(user, id, client);
  }
}
