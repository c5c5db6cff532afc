import { AppConfig, loadConfig } from '../config/app-config';
import {
  DOUBLING_BACKOFF,
  doublingBackoff,
  JobFailure,
  PRIORITY_RANK,
  QueueName,
  QUEUES,
  RetryableAttemptError,
  taskJobId,
} from './tasks.queue';

const config: AppConfig = loadConfig({
  JWT_SECRET: 'k7Qm2vX9pL4rT8wZ1nB6yH3jF5dS0aGc',
  TASK_BACKOFF_BASE_MS: '100',
  TASK_LOCK_DURATION_MS: '5000',
});
const definition = QUEUES[QueueName.Tasks];

describe('tasks queue', () => {
  it('waits base * 2^(n-1) after attempt n: gaps of base, 2 base, 4 base', () => {
    const options = { baseMs: 100 };
    expect([1, 2, 3, 4].map((n) => doublingBackoff(n, new Error('x'), options))).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it("counts from the task's attempt number when the error carries it", () => {
    // A job re-created by the reconciler restarts Bull's attemptsMade at 1; the task does not.
    expect(doublingBackoff(1, new RetryableAttemptError('down', 3), { baseMs: 100 })).toBe(400);
  });

  it('derives job options from the task', () => {
    const options = definition.jobOptions(
      {
        id: 'f5f6c1de-6a55-4b8e-a1b6-0c7f0b3e1a11',
        priority: 'critical',
        attempts: 0,
        maxAttempts: 5,
        attemptsBase: 0,
        jobGeneration: 0,
        runAt: null,
      },
      config,
    );
    expect(options).toEqual({
      jobId: 'f5f6c1de-6a55-4b8e-a1b6-0c7f0b3e1a11',
      attempts: 5,
      backoff: { type: DOUBLING_BACKOFF, options: { baseMs: 100 } },
      priority: 1,
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
    });
  });

  it("gives every job of a task the task's whole budget: attempts made are counted as the task's", () => {
    const task = {
      id: 'x',
      priority: 'low' as const,
      maxAttempts: 5,
      attemptsBase: 0,
      jobGeneration: 0,
      runAt: null,
    };
    expect(definition.jobOptions({ ...task, attempts: 2 }, config).attempts).toBe(5);
  });

  it('fails jobs without a stack, with the message alone', () => {
    const failure = new RetryableAttemptError('the agent answered HTTP 503: down', 2);
    expect(failure).toBeInstanceOf(JobFailure);
    expect(failure.stack).toBeUndefined();
    expect(failure.message).toBe('the agent answered HTTP 503: down');
  });

  it("counts a retried task's budget on from its retry: Bull's count goes on with the task's", () => {
    const task = {
      id: 'x',
      priority: 'low' as const,
      maxAttempts: 3,
      jobGeneration: 1,
      runAt: null,
    };
    // Attempts 1-3 were the earlier run's: this run may make attempts 4, 5 and 6.
    expect(definition.jobOptions({ ...task, attempts: 3, attemptsBase: 3 }, config).attempts).toBe(
      6,
    );
  });

  it('delays the job of a task with runAt by what is left until then, and not one past it', () => {
    const task = {
      id: 'x',
      priority: 'low' as const,
      attempts: 0,
      maxAttempts: 3,
      attemptsBase: 0,
      jobGeneration: 0,
    };
    const ahead = definition.jobOptions(
      { ...task, runAt: new Date(Date.now() + 60_000) },
      config,
    ).delay;
    expect(ahead).toBeGreaterThan(50_000);
    expect(ahead).toBeLessThanOrEqual(60_000);
    expect(definition.jobOptions({ ...task, runAt: new Date(0) }, config).delay).toBe(0);
    expect(definition.jobOptions({ ...task, runAt: null }, config)).not.toHaveProperty('delay');
  });

  it('names the first job of a task by the task, each later generation after it', () => {
    const id = 'f5f6c1de-6a55-4b8e-a1b6-0c7f0b3e1a11';
    expect(taskJobId({ id, jobGeneration: 0 })).toBe(id);
    expect(taskJobId({ id, jobGeneration: 2 })).toBe(`${id}.2`);
    expect(
      definition.jobOptions(
        {
          id,
          priority: 'low',
          attempts: 1,
          maxAttempts: 3,
          attemptsBase: 0,
          jobGeneration: 2,
          runAt: null,
        },
        config,
      ).jobId,
    ).toBe(`${id}.2`);
  });

  it('ranks priorities from critical (1, first) to low', () => {
    expect(PRIORITY_RANK).toEqual({ critical: 1, high: 2, normal: 3, low: 4 });
  });

  it('registers the backoff strategy and the lock settings on the queue', () => {
    const settings = definition.settings(config);
    expect(settings.backoffStrategies?.[DOUBLING_BACKOFF]).toBe(doublingBackoff);
    expect(settings.lockDuration).toBe(5000);
    expect(settings.stalledInterval).toBe(5000);
  });
});
