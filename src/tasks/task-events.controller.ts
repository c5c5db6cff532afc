import { applyDecorators, Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Scopes } from '../common/decorators/credentials.decorator';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { IdParam } from '../common/decorators/id-param.decorator';
import { TaskEventDto, TaskEventMessageDto } from './dto/task-event.dto';
import {
  OwnerEventStreamQueryDto,
  TaskEventStreamQueryDto,
} from './dto/task-event-stream-query.dto';
import { resumeAfter, TaskEventStreams } from './task-event-streams.service';
import { TasksErrorCode } from './tasks.errors';

const EVENT_STREAM = 'text/event-stream';

const TASK_ID = '4d6c8c36-7b8a-4c1e-9a57-2a1f0c7e5b10';

/** Two messages of a task's stream (on the wire: "id: 41\nevent: task.started\ndata: {...}\n\n"). */
const STREAM_EXAMPLE = [
  {
    id: '41',
    event: 'task.started',
    data: JSON.stringify({
      taskId: TASK_ID,
      type: 'task.started',
      at: '2026-12-01T10:00:00.120Z',
      status: 'in_progress',
      attempt: 1,
      data: { agentId: '0b8e2a9c-3f4d-4e5a-8b6c-7d8e9f0a1b2c' },
    }),
  },
  {
    id: '42',
    event: 'task.completed',
    data: JSON.stringify({
      taskId: TASK_ID,
      type: 'task.completed',
      at: '2026-12-01T10:00:03.480Z',
      status: 'completed',
      attempt: 1,
      data: { result: { summary: 'Revenue grew 12%' } },
    }),
  },
];

/** The 200 answer of both streams: text/event-stream, its messages described one by one. */
const ApiEventStream = (description: string) =>
  applyDecorators(
    ApiExtraModels(TaskEventDto, TaskEventMessageDto),
    ApiProduces(EVENT_STREAM),
    ApiOkResponse({
      description,
      content: {
        [EVENT_STREAM]: {
          schema: {
            type: 'array',
            description:
              'The stream, message after message, each as `id: <id>`, `event: <type>` and ' +
              '`data: <JSON>` lines and a blank line; first a `retry: 1000` hint, and a comment ' +
              'line (`: keep-alive`) whenever TASK_EVENTS_KEEPALIVE_MS (at most 15 s) pass ' +
              'without one',
            items: { $ref: getSchemaPath(TaskEventMessageDto) },
          },
          example: STREAM_EXAMPLE,
        },
      },
    }),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'Resume after this event id (the id of the last message seen; EventSource sends it when ' +
        'it reconnects): every later event is sent, none twice, by whichever process answers',
    }),
    ApiProblemResponses({
      status: 400,
      description:
        'Last-Event-ID or lastEventId is not a decimal event id (or the query is invalid)',
      code: TasksErrorCode.InvalidLastEventId,
    }),
  );

const STREAM_COMMON =
  'Each message is one event: id (a decimal integer, increasing across all your events), event ' +
  '(its type) and data (TaskEventDto as JSON). Events are stored: reconnecting with ' +
  'Last-Event-ID sends every event after it, none twice, whichever api process answers. A ' +
  'client that stops reading while more than TASK_EVENTS_MAX_BUFFER_BYTES (1 MiB) wait for it ' +
  'is cut off, and resumes the same way. The stream ends, for the client to reconnect, when ' +
  'its api process stops.';

/**
 * Task events as Server-Sent Events (README, "Following a task"). Declared in TasksModule before
 * TasksController: Express tries routes in order, and GET /tasks/events must not be taken for
 * GET /tasks/:id (whose pipe would refuse "events" as an id).
 */
@ApiTags('tasks')
@ApiBearerAuth()
@Controller({ path: 'tasks', version: '1' })
export class TaskEventsController {
  constructor(private readonly streams: TaskEventStreams) {}

  @Get('events')
  @Scopes('tasks:read')
  @ApiOperation({
    summary: 'Follow all your tasks',
    description:
      'The events of your tasks (an admin’s too: only their own), as they happen: without ' +
      'Last-Event-ID from now on. Narrowed by status (the task’s status after the event) and ' +
      `taskType. ${STREAM_COMMON}`,
  })
  @ApiEventStream('Your tasks’ events, until you close the stream')
  async ofOwner(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: OwnerEventStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const after = resumeAfter(lastEventId, query.lastEventId);
    const filter = { status: query.status, taskType: query.taskType };
    await this.streams.ofOwner(user, filter, after, response);
  }

  @Get(':id/events')
  @Scopes('tasks:read')
  @ApiOperation({
    summary: 'Follow a task',
    description:
      'The events of one task of yours (any task for an admin), from its first one (task.created, ' +
      'so a stream opened after POST /api/v1/tasks misses nothing), or after Last-Event-ID. The ' +
      'stream ends after the task’s terminal event (task.completed, task.failed or ' +
      'task.cancelled); a finished task whose events you have all seen answers 204, which stops ' +
      `EventSource from reconnecting. ${STREAM_COMMON} 404 when there is no such task or it ` +
      'belongs to someone else.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The id of the task' })
  @ApiEventStream('The task’s events, up to its terminal event')
  @ApiResponse({ status: 204, description: 'The task has finished and you have seen its events' })
  @ApiProblemResponses({
    status: 404,
    description: 'No such task, or not yours',
    code: TasksErrorCode.TaskNotFound,
  })
  async ofTask(
    @CurrentUser() user: AuthenticatedUser,
    @IdParam() id: string,
    @Query() query: TaskEventStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const after = resumeAfter(lastEventId, query.lastEventId);
    await this.streams.ofTask(user, id, after, response);
  }
}
