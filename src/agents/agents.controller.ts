import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { CommonError, CommonErrorCode } from '../common/errors/common.errors';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { Page } from '../common/pagination/page';
import { AgentsErrorCode } from './agents.errors';
import { AgentsService } from './agents.service';
import { AgentDto, CreatedAgentDto } from './dto/agent.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { HeartbeatDto, HeartbeatResponseDto } from './dto/heartbeat.dto';
import { ListAgentsDto } from './dto/list-agents.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';

const AGENT_NOT_FOUND = {
  status: 404,
  description: 'No such agent, or not yours',
  code: AgentsErrorCode.AgentNotFound,
};

const AgentId = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () => new CommonError(CommonErrorCode.InvalidId, 'id must be a UUID.'),
    }),
  );

@ApiTags('agents')
@ApiBearerAuth()
@ApiBadRequestResponse({ description: 'Invalid input, or an endpointUrl the SSRF policy refuses' })
@Controller({ path: 'agents', version: '1' })
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @ApiCreatedResponse({
    type: CreatedAgentDto,
    description: 'The signingSecret is shown only here',
  })
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateAgentDto,
    @Client() client: ClientContext,
  ): Promise<CreatedAgentDto> {
    return this.agents.create(user, dto, client);
  }

  @Get()
  @ApiPage(AgentDto, 'Your agents (every agent for admins), newest first')
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListAgentsDto,
  ): Promise<Page<AgentDto>> {
    return this.agents.list(user, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: AgentDto })
  @ApiProblemResponses(AGENT_NOT_FOUND)
  get(@CurrentUser() user: AuthenticatedUser, @AgentId() id: string): Promise<AgentDto> {
    return this.agents.get(user, id);
  }

  @Patch(':id')
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
}
