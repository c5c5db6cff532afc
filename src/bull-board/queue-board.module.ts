import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { DynamicModule, Injectable, Module, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import Redis from 'ioredis';
import { CommonError, CommonErrorCode } from '../common/errors/common.errors';
import { basicAuth } from '../common/http/basic-auth.middleware';
import { sendProblem, toProblem } from '../common/http/problem';
import { RedisFailureLimiter } from '../common/http/failure-limiter';
import { AppConfig } from '../config/app-config';
import { InjectRedis } from '../redis/redis.module';
import { QueueName } from '../queue/tasks.queue';

/** Where the board is served (README, Bull Board), outside the versioned API prefix. */
export const QUEUE_BOARD_PATH = 'admin/queues';
export const QUEUE_BOARD_REALM = 'Ymera queues';

/** Bull Board's own Express app, without the X-Powered-By header Express adds by default. */
class QueueBoardAdapter extends ExpressAdapter {
  constructor() {
    super();
    (this.getRouter() as { disable(setting: string): void }).disable('x-powered-by');
  }
}

/** The board API's retry actions: one job (`<queue>/<job id>/retry`) or every job of a state. */
const RETRY_ACTION = /\/api\/queues\/[^/]+\/(?:retry\/[^/]+|[^/]+\/retry)\/?$/;

/**
 * Basic auth in front of the board, with wrong credentials limited per client address like the
 * auth routes (THROTTLE_AUTH_LIMIT in THROTTLE_AUTH_TTL_S), in Redis, shared by every instance.
 */
@Injectable()
class QueueBoardAuth implements NestMiddleware {
  private readonly check: ReturnType<typeof basicAuth>;

  constructor(config: AppConfig, @InjectRedis() redis: Redis) {
    const { authLimit, authTtlS } = config.throttle;
    this.check = basicAuth(
      { user: config.bullBoard.user!, password: config.bullBoard.password! },
      QUEUE_BOARD_REALM,
      new RedisFailureLimiter(redis, 'queue-board', authLimit, authTtlS),
    );
  }

  use(request: Request, response: Response, next: NextFunction): void {
    this.check(request, response, () => {
      // Retrying a job would run it for a task that is failed or cancelled, which runs nothing:
      // a task is retried through the API (README, Bull Board), so the board's buttons are off
      // (allowRetries) and its API's retry routes refused.
      if (request.method === 'PUT' && RETRY_ACTION.test(request.path)) {
        const error = new CommonError(
          CommonErrorCode.BoardRetryDisabled,
          'Jobs of the tasks queue are not retried here: retry the task with POST /api/v1/tasks/{id}/retry.',
        );
        return sendProblem(response, toProblem(error, request));
      }
      next();
    });
  }
}

/**
 * Bull Board at /admin/queues, behind HTTP basic auth (BULL_BOARD_USER and BULL_BOARD_PASSWORD):
 * jobs can be inspected, retried and removed there, so it is not mounted at all without
 * credentials (AppModule mounts it only where the API is served). The board is Express
 * middleware, not Nest routes: the JWT guard never sees it, the basic-auth middleware covers the
 * page, its static assets and its /api routes alike.
 */
@Module({})
export class QueueBoardModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { user, password } = config.bullBoard;
    if (!user || !password) return { module: QueueBoardModule };
    return {
      module: QueueBoardModule,
      imports: [
        BullBoardModule.forRoot({
          route: `/${QUEUE_BOARD_PATH}`,
          adapter: QueueBoardAdapter,
          middleware: QueueBoardAuth,
          boardOptions: { uiConfig: { boardTitle: 'Ymera' } },
        }),
        BullBoardModule.forFeature({
          name: QueueName.Tasks,
          adapter: BullAdapter,
          options: { allowRetries: false },
        }),
      ],
    };
  }
}
