import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { basicAuth } from '../common/http/basic-auth.middleware';
import { AppConfig } from '../config/app-config';
import { QueueName } from '../tasks/tasks.queue';

/** Where the board is served (API.md), outside the versioned API prefix. */
export const QUEUE_BOARD_PATH = 'admin/queues';
export const QUEUE_BOARD_REALM = 'Ymera queues';

/** Bull Board's own Express app, without the X-Powered-By header Express adds by default. */
class QueueBoardAdapter extends ExpressAdapter {
  constructor() {
    super();
    (this.getRouter() as { disable(setting: string): void }).disable('x-powered-by');
  }
}

/**
 * Bull Board at /admin/queues, behind HTTP basic auth (BULL_BOARD_USER and BULL_BOARD_PASSWORD):
 * jobs can be inspected, retried and removed there, so it is not mounted at all without
 * credentials, nor in worker processes (they serve health and metrics only). The board is Express
 * middleware, not Nest routes: the JWT guard never sees it, the basic-auth middleware covers the
 * page, its static assets and its /api routes alike.
 */
@Module({})
export class QueueBoardModule {
  static forRoot(config: AppConfig): DynamicModule {
    const { user, password } = config.bullBoard;
    if (!user || !password || config.role === 'worker') return { module: QueueBoardModule };
    return {
      module: QueueBoardModule,
      imports: [
        BullBoardModule.forRoot({
          route: `/${QUEUE_BOARD_PATH}`,
          adapter: QueueBoardAdapter,
          middleware: basicAuth({ user, password }, QUEUE_BOARD_REALM),
          boardOptions: { uiConfig: { boardTitle: 'Ymera' } },
        }),
        BullBoardModule.forFeature({ name: QueueName.Tasks, adapter: BullAdapter }),
      ],
    };
  }
}
