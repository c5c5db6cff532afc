import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { DispatchOutcome, retryable } from '../dispatch/classify';
import { DispatchTarget } from '../dispatch/dispatch-target';
import { DispatchService } from '../dispatch/dispatch.service';
import { MetricsService } from '../metrics/metrics.service';
import { RetryableAttemptError, TaskJobData } from '../queue/tasks.queue';
import { AgentRouter } from './agent-router';
import { AgentSlots } from './agent-slots';
import { RecordedAttempt } from './execution.records';
import { ExecutionRepository } from './execution.repository';

/** While no capable agent can be claimed, claims are retried this often (doubling up to the cap). */
const CLAIM_RETRY_FIRST_MS = 2;
const CLAIM_RETRY_MAX_MS = 1000;

/** Why a task found no agent, in words its owner can act on. */
export function unroutedMessage(data: TaskJobData, reason: 'none' | 'busy'): string {
  if (data.requestedAgentId) {
    return reason === 'none'
      ? `agent ${data.requestedAgentId} is not one of your active agents`
      : `agent ${data.requestedAgentId} stayed busy (all its slots taken) for the whole attempt`;
  }
  return reason === 'none'
    ? `no active agent with capability "${data.taskType}"`
    : `every active agent with capability "${data.taskType}" stayed busy for the whole attempt`;
}

/** Thrown for a failure that ends the task: the job is discarded and fails at once. */
class FinalAttemptError extends Error {
  override name = 'FinalAttemptError';
}

/**
 * Runs one attempt of a task: claims an agent, marks the task in_progress, dispatches, records
 * the outcome and gives the agent's slot back. Throws a RetryableAttemptError to make Bull retry
 * with backoff; discards the job when the task has failed for good.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);
  private readonly running = new Set<Promise<unknown>>();
  /** Aborted when the process shuts down and in-flight dispatches must end now. */
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: AppConfig,
    private readonly router: AgentRouter,
    private readonly slots: AgentSlots,
    private readonly dispatcher: DispatchService,
    private readonly repository: ExecutionRepository,
    private readonly metrics: MetricsService,
  ) {
    // Every in-flight dispatch listens to this one signal.
    setMaxListeners(0, this.stopping.signal);
  }

  run(job: Job<TaskJobData>): Promise<void> {
    const run = this.attempt(job);
    this.running.add(run);
    void run.catch(() => undefined).finally(() => this.running.delete(run));
    return run;
  }

  /**
   * Waits for in-flight attempts for up to graceMs, then aborts the rest (their attempts are
   * recorded as retryable, so another worker retries them) and waits for their bookkeeping.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.running.size > 0) {
      const timer = sleep(graceMs, undefined, { ref: false }).then(() => 'late' as const);
      const done = Promise.allSettled([...this.running]).then(() => 'done' as const);
      if ((await Promise.race([done, timer])) === 'late') this.stopping.abort();
    } else {
      this.stopping.abort();
    }
    await Promise.allSettled([...this.running]);
  }

  private async attempt(job: Job<TaskJobData>): Promise<void> {
    const data = job.data;
    const timeoutMs = data.timeoutMs ?? this.config.tasks.dispatchTimeoutMs;
    // The attempt's id is chosen here: it holds the agent slot from the claim on.
    const attemptId = randomUUID();
    const target = await this.claim(data, attemptId, timeoutMs);
    if (target === 'stopping') {
      // Not an attempt: the job goes back to Bull for another worker.
      throw new RetryableAttemptError('the worker shut down while waiting for a free agent', 1);
    }
    if (typeof target === 'string') {
      const error = unroutedMessage(data, target);
      const recorded = await this.repository.recordUnrouted(data.taskId, error);
      if (!recorded) return; // cancelled or finished meanwhile
      await this.slots.releaseAll(recorded.interrupted);
      this.count(recorded, data);
      this.settle(job, recorded, error);
      return;
    }

    let opened;
    try {
      opened = await this.repository.start(data.taskId, target.id, attemptId);
    } catch (error) {
      await this.slots.release(target.id, attemptId);
      throw error;
    }
    if (!opened) {
      // Cancelled or finished since the job was queued: nothing to send.
      await this.slots.release(target.id, attemptId);
      return;
    }
    await this.slots.releaseAll(opened.interrupted);
    const { started } = opened;

    let outcome: DispatchOutcome;
    const dispatchedAt = performance.now();
    try {
      outcome = await this.dispatcher.dispatch(
        target,
        {
          taskId: data.taskId,
          attempt: started.attempt,
          taskType: started.taskType,
          name: started.name,
          parameters: started.parameters,
          priority: started.priority,
        },
        { timeoutMs: started.timeoutMs ?? timeoutMs, signal: this.stopping.signal },
      );
    } catch (error) {
      this.logger.error({ err: error, taskId: data.taskId }, 'Dispatch failed unexpectedly');
      outcome = retryable('the dispatcher failed before the agent answered');
    }
    this.metrics.dispatchObserved(outcome.outcome, (performance.now() - dispatchedAt) / 1000);

    // When recording fails (database down) the attempt stays open and keeps its slot: Bull retries
    // the job, and the next attempt closes this one as interrupted and gives the slot back then.
    const recorded = await this.repository.finish(data.taskId, attemptId, {
      outcome: outcome.outcome,
      httpStatus: outcome.httpStatus,
      error: outcome.outcome === 'succeeded' ? null : outcome.error,
      result: outcome.outcome === 'succeeded' ? outcome.result : undefined,
    });
    await this.slots.release(target.id, attemptId);
    this.count(recorded, data);
    if (outcome.outcome !== 'succeeded') this.settle(job, recorded, outcome.error);
  }

  private count(recorded: RecordedAttempt, data: TaskJobData): void {
    if (recorded.status === 'completed' || recorded.status === 'failed') {
      this.metrics.taskCounted(recorded.status, data.taskType);
    }
  }

  /** Makes Bull do what the recorded attempt says: retry later, or stop for good. */
  private settle(job: Job<TaskJobData>, recorded: RecordedAttempt, error: string): void {
    if (recorded.status === 'pending') throw new RetryableAttemptError(error, recorded.attempt);
    if (recorded.status === 'failed') {
      void job.discard();
      throw new FinalAttemptError(error);
    }
    // Otherwise someone else moved the task on (cancelled, completed by a takeover): done here.
  }

  /**
   * A slot for `attemptId` on the named agent, or on the least-loaded capable one. While capable
   * agents exist but all their slots are taken, retries with a short doubling delay within the
   * attempt's time rather than burning an attempt.
   */
  private async claim(
    data: TaskJobData,
    attemptId: string,
    waitMs: number,
  ): Promise<DispatchTarget | 'none' | 'busy' | 'stopping'> {
    const route = {
      ownerId: data.ownerId,
      taskType: data.taskType,
      requestedAgentId: data.requestedAgentId,
    };
    const deadline = Date.now() + waitMs;
    let delay = CLAIM_RETRY_FIRST_MS;
    for (;;) {
      const target = await this.router.claim(route, attemptId);
      if (target !== 'busy') return target;
      if (this.stopping.signal.aborted) return 'stopping';
      if (Date.now() + delay > deadline) return 'busy';
      await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, CLAIM_RETRY_MAX_MS);
    }
  }
}
