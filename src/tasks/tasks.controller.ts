import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { Scopes } from '../common/decorators/credentials.decorator';
import { CommonError, CommonErrorCode } from '../common/errors/common.errors';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { CREATE_TASK_EXAMPLE, CreateTaskDto } from './dto/create-task.dto';
import { ListTasksDto } from './dto/list-tasks.dto';
import { TaskAttemptListDto } from './dto/task-attempt.dto';
import { TaskDto } from './dto/task.dto';
import { TasksError, TasksErrorCode } from './tasks.errors';
import { TasksService } from './tasks.service';

const TASK_NOT_FOUND = {
  status: 404,
  description: 'No such task, or not yours',
  code: TasksErrorCode.TaskNotFound,
};

/** Documents the :id of a task route. */
const ApiTaskId = () =>
  ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'The id of the task (from POST or GET /api/v1/tasks)',
  });

const TaskId = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () => new CommonError(CommonErrorCode.InvalidId, 'id must be a UUID.'),
    }),
  );

/** Visible ASCII, as HTTP header values and the UUIDs clients usually send allow. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function idempotencyKey(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!IDEMPOTENCY_KEY.test(value)) {
    throw new TasksError(
      TasksErrorCode.InvalidIdempotencyKey,
      'Idempotency-Key must be 1 to 200 visible ASCII characters (a UUID is a good choice).',
    );
  }
  return value;
}

@ApiTags('tasks')
@ApiBearerAuth()
@Controller({ path: 'tasks', version: '1' })
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @Scopes('tasks:write')
  @ApiOperation({
    summary: 'Submit a task',
    description:
      'Stores the task, owned by the caller (any authenticated user), and queues it: a worker ' +
      'routes it to an active agent of the caller whose capabilities contain taskType (or to ' +
      'agentId), dispatches it (docs/agent-protocol.md) and retries transient failures. While ' +
      'no such agent is available the task stays pending, spending no attempt, for up to ' +
      'scheduleTimeoutMs. An agentId that is not one of your agents is refused (400 ' +
      'unknown-agent). Follow it with GET /api/v1/tasks/{id}. With an Idempotency-Key, a retry ' +
      'answers 200 with the task the first request created. Recorded as task.create.',
  })
  @ApiBody({
    type: CreateTaskDto,
    examples: { summarize: { summary: 'A summary task', value: CREATE_TASK_EXAMPLE } },
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retrying with the same key returns the task the first request created (200)',
  })
  @ApiCreatedResponse({ type: TaskDto, description: 'Accepted: stored, then queued' })
  @ApiOkResponse({
    type: TaskDto,
    description: 'The task created earlier with this Idempotency-Key',
  })
  async create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateTaskDto,
    @Headers('idempotency-key') key: string | undefined,
    @Client() client: ClientContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TaskDto> {
    const { task, created } = await this.tasks.create(user, dto, idempotencyKey(key), client);
    if (!created) response.status(HttpStatus.OK);
    return task;
  }

  @Get()
  @Scopes('tasks:read')
  @ApiOperation({
    summary: 'List tasks',
    description:
      "The caller's tasks, every user's for an admin, newest first; filtered by status, " +
      'taskType and agentId, paged by skip or cursor.',
  })
  @ApiPage(TaskDto, 'Your tasks (every task for admins), newest first')
  // The answer comes already serialised (TasksService.list): sent as it is, typed as JSON.
  @Header('Content-Type', 'application/json; charset=utf-8')
  list(@CurrentUser() user: AuthenticatedUser, @Query() query: ListTasksDto): Promise<string> {
    return this.tasks.list(user, query);
  }

  @Get(':id')
  @Scopes('tasks:read')
  @ApiOperation({
    summary: 'Get a task',
    description:
      'One task of the caller (any task for an admin): its state, attempts made and, once ' +
      'completed, the result. 404 when there is no such task or it belongs to someone else.',
  })
  @ApiTaskId()
  @ApiOkResponse({ type: TaskDto })
  @ApiProblemResponses(TASK_NOT_FOUND)
  get(@CurrentUser() user: AuthenticatedUser, @TaskId() id: string): Promise<TaskDto> {
    return this.tasks.get(user, id);
  }

  @Post(':id/cancel')
  @Scopes('tasks:write')
  @ApiOperation({
    summary: 'Cancel a task',
    description:
      'Cancels a pending or in_progress task of the caller (any task for an admin): it is not ' +
      'dispatched again, and an attempt under way is recorded with outcome cancelled: its ' +
      'dispatch is aborted and the agent is sent a signed task.cancel (an A2A agent: ' +
      'tasks/cancel); whatever the agent answers afterwards is ignored. 409 when it already ' +
      'completed, failed or was cancelled; 404 when there is no such task or it belongs to ' +
      'someone else. Recorded as task.cancel.',
  })
  @ApiTaskId()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TaskDto, description: 'The task, now cancelled' })
  @ApiProblemResponses(TASK_NOT_FOUND)
  @ApiProblemResponses({
    status: 409,
    description: 'The task already completed, failed or was cancelled',
    code: TasksErrorCode.TaskAlreadyFinished,
  })
  cancel(
    @CurrentUser() user: AuthenticatedUser,
    @TaskId() id: string,
    @Client() client: ClientContext,
  ): Promise<TaskDto> {
    return this.tasks.cancel(user, id, client);
  }

  @Post(':id/retry')
  @Scopes('tasks:write')
  @ApiOperation({
    summary: 'Retry a failed or cancelled task',
    description:
      'Puts a failed or cancelled task of the caller (any task for an admin) back to pending ' +
      'and queues it again, with a fresh budget of maxAttempts: its earlier attempts stay in ' +
      'GET /api/v1/tasks/{id}/attempts and new ones number on from them (attempts counts them ' +
      'all); result, errorMessage and completedAt are cleared. 409 when the task is pending, ' +
      'in_progress or completed; 404 when there is no such task or it belongs to someone ' +
      'else. Recorded as task.retry.',
  })
  @ApiTaskId()
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: TaskDto, description: 'The task, pending again' })
  @ApiProblemResponses(TASK_NOT_FOUND)
  @ApiProblemResponses({
    status: 409,
    description: 'The task is pending, in_progress or completed',
    code: TasksErrorCode.TaskNotRetryable,
  })
  retry(
    @CurrentUser() user: AuthenticatedUser,
    @TaskId() id: string,
    @Client() client: ClientContext,
  ): Promise<TaskDto> {
    return this.tasks.retry(user, id, client);
  }

  @Get(':id/attempts')
  @Scopes('tasks:read')
  @ApiOperation({
    summary: "List a task's attempts",
    description:
      'Every dispatch of the task, oldest first: the agent, when it started and finished, the ' +
      "outcome and the agent's HTTP status. Same access as GET /api/v1/tasks/{id} (404).",
  })
  @ApiTaskId()
  @ApiOkResponse({ type: TaskAttemptListDto, description: 'Every attempt, oldest first' })
  @ApiProblemResponses(TASK_NOT_FOUND)
  attempts(
    @CurrentUser() user: AuthenticatedUser,
    @TaskId() id: string,
  ): Promise<TaskAttemptListDto> {
    return this.tasks.attempts(user, id);
  }
}
