import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { TaskRunner } from './task-runner.service';
import { TasksProcessor } from './tasks.processor';
import { TaskJobData } from '../queue/tasks.queue';

describe('TasksProcessor', () => {
  it('lets go of a worker name Redis never acknowledged instead of leaving the rejection unhandled', async () => {
    const closed = new Error('Connection is closed.');
    const queue = {
      setWorkerName: jest.fn(() => Promise.reject(closed)),
      // As Bull's process() does: names the worker without handling the outcome.
      process: jest.fn(() => {
        void queue.setWorkerName();
        return new Promise<void>(() => undefined);
      }),
    };
    const config = { tasks: { workerConcurrency: 3 } } as AppConfig;
    const processor = new TasksProcessor(
      queue as unknown as Queue<TaskJobData>,
      {} as TaskRunner,
      config,
    );
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      processor.onApplicationBootstrap();
      await new Promise((resolve) => setImmediate(resolve));
      expect(queue.process).toHaveBeenCalledWith('*', 3, expect.any(Function));
      await expect(queue.setWorkerName()).resolves.toBeUndefined();
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
