import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bull';
import { settledWithin } from '../common/async/deadline';

/** How long a queue may take to close before its Redis connections are cut. */
export const QUEUE_CLOSE_MS = 3000;

/**
 * @nestjs/bull closes every queue at application shutdown with queue.close(), which waits on Redis
 * for as long as it takes: for the last commands of the jobs, then for each connection's QUIT and
 * the close of its socket, which a stalled Redis never gives. This replaces that hook of `queue`
 * with one that gives up after `ms` and cuts the queue's connections, so a stopping process is
 * not held by Redis. Nothing is lost by it: a job whose completion Redis did not record runs again
 * once its lock lapses, and the runner skips a task that is already finished.
 *
 * The close does not wait for the jobs (doNotWaitJobs): the workers drained them before
 * (TasksProcessor), and Bull's own wait, while Redis does not answer, ends in a rejection nothing
 * handles (its forced reconnection of the blocking connection), which would crash the process.
 */
export function boundQueueClose(queue: Queue, ms = QUEUE_CLOSE_MS): void {
  const logger = new Logger('QueueShutdown');
  (queue as Queue & OnApplicationShutdown).onApplicationShutdown = async () => {
    const closing = queue.close(true).catch((error: unknown) => {
      logger.warn({ err: error }, `The ${queue.name} queue did not close cleanly`);
    });
    if (await settledWithin(closing, ms)) return;
    logger.warn(`The ${queue.name} queue did not close within ${ms} ms: its connections are cut`);
    for (const client of queue.clients) {
      client.disconnect();
      client.stream?.destroy();
    }
  };
}
