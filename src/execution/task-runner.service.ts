import { Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import {
  CancelledOutcome,
  FinalDispatchOutcome,
  interrupted,
  retryable,
} from '../dispatch/classify';
import { DispatchMessage, DispatchService } from '../dispatch/dispatch.service';
import { MetricsService } from '../metrics/metrics.service';
import { TaskQueue } from '../queue/task-queue.service';
import { JobFailure, RetryableAttemptError, TaskJobData } from '../queue/tasks.queue';
import { AgentRouter, RouteRequest } from './agent-router';
import { AgentSlots } from './agent-slots';
import { ClosedAttempts, WatchedAttempt } from './closed-attempts.service';
import { Candidate, ClosedAttempt, RecordedAttempt, SlotHolder } from './execution.records';
import { ExecutionRepository, storedError } from './execution.repository';
import { WaitingTasks } from './waiting-tasks.service';

/**
 * How an attempt's dispatch ended: an answer (or its absence) to record, a cancel, or the agent's
 * report through the agent API, already recorded.
 */
type Ended =
  | FinalDispatchOutcome
  | CancelledOutcome
  | { outcome: 'accepted'; httpStatus: 202 }
  | { outcome: 'reported'; closed: ClosedAttempt };
type Over = Exclude<Ended, { outcome: 'accepted' }>;

/** Thrown for a failure that ends the task: the job is discarded and fails at once. */
class FinalAttemptError extends JobFailure {
  override name = 'FinalAttemptError';
}

/**
 * Runs one attempt of a task: claims an agent, marks the task in_progress, dispatches, records
 * the outcome (or, when the agent answered 202, waits for its report through the agent API) and
 * gives the agent's slot back. A cancel of the task stops the attempt and tells the agent. Throws a RetryableAttemptError to make Bull retry
 * with backoff; discards the job when the task has failed for good. When no agent can take the
 * task now, that is no attempt: the task waits for one (WaitingTasks) and the job ends.
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
    private readonly waiting: WaitingTasks,
    private readonly queue: TaskQueue,
    private readonly closedAttempts: ClosedAttempts,
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
   * recorded as interrupted, so another worker retries them) and waits for their bookkeeping.
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
    // Jobs queued before generations existed carry none: theirs is the first.
    const generation = data.jobGeneration ?? 0;
    const route: RouteRequest = {
      ownerId: data.ownerId,
      taskType: data.taskType,
      requestedAgentId: data.requestedAgentId,
    };
    // The attempt's id is chosen here: it holds the agent slot from the claim on.
    const attemptId = randomUUID();
    const target = await this.router.claim(route, attemptId);
    if (target === 'none' || target === 'busy') return this.park(job, route, generation);

    // Watched before it opens: a cancel or the agent's report that closes it is heard.
    const watch = this.closedAttempts.watch(attemptId);
    try {
      await this.dispatchAttempt(job, target, attemptId, generation, watch);
    } finally {
      watch.stop();
    }
  }

  private async dispatchAttempt(
    job: Job<TaskJobData>,
    target: Candidate,
    attemptId: string,
    generation: number,
    watch: WatchedAttempt,
  ): Promise<void> {
    const data = job.data;
    let opened;
    try {
      opened = await this.repository.start(data.taskId, target.id, attemptId, generation);
    } catch (error) {
      await this.release(target, attemptId);
      throw error;
    }
    if (!opened) {
      // Cancelled or finished since the job was queued, or queued again since: nothing to send.
      await this.release(target, attemptId);
      return;
    }
    await this.releaseAll(opened.interrupted);
    const { started } = opened;
    // Meanwhile: Bull Board numbers the job's attempts as the task's.
    const numbered = this.queue.showAttempt(job, started.attempt);
    const timeoutMs = started.timeoutMs ?? data.timeoutMs ?? this.config.tasks.dispatchTimeoutMs;
    const message: DispatchMessage = {
      taskId: data.taskId,
      attempt: started.attempt,
      taskType: started.taskType,
      name: started.name,
      parameters: started.parameters,
      priority: started.priority,
    };

    const dispatchedAt = performance.now();
    let outcome: Ended;
    try {
      outcome = await this.dispatcher.dispatch(target, message, {
        timeoutMs,
        signal: this.stopping.signal,
        cancel: watch.cancelled,
      });
    } catch (error) {
      this.logger.error({ err: error, taskId: data.taskId }, 'Dispatch failed unexpectedly');
      outcome = retryable('the dispatcher failed before the agent answered');
    }
    if (outcome.outcome === 'accepted') {
      outcome = await this.awaitReport(watch, timeoutMs, dispatchedAt + timeoutMs);
      if (outcome.outcome === 'cancelled') await this.tellCancelled(target, message);
    }
    await numbered;
    this.metrics.dispatchObserved(
      outcome.outcome === 'reported' ? outcome.closed.outcome : outcome.outcome,
      (performance.now() - dispatchedAt) / 1000,
    );

    // The cancel closed the attempt and the task; the agent was told.
    if (outcome.outcome === 'cancelled') return this.release(target, attemptId);
    // The agent's report closed the attempt and moved the task on (and counted it).
    if (outcome.outcome === 'reported') {
      await this.release(target, attemptId);
      return this.settleReported(job, outcome.closed);
    }
    // When recording fails (database down) the attempt stays open and keeps its slot: Bull retries
    // the job, and the next attempt closes this one as interrupted and gives the slot back then.
    const recorded = await this.repository.finish(data.taskId, attemptId, {
      outcome: outcome.outcome,
      httpStatus: outcome.httpStatus,
      error: outcome.outcome === 'succeeded' ? null : outcome.error,
      result: outcome.outcome === 'succeeded' ? outcome.result : undefined,
    });
    await this.release(target, attemptId);
    if (!recorded.closed) {
      // Someone else closed it first: the agent's report (its timeout lost the race), a cancel.
      const [closed] = await this.repository.closedAttempts([attemptId]);
      if (closed && closed.outcome !== 'interrupted') return this.settleReported(job, closed);
    }
    this.count(recorded, data);
    if (outcome.outcome !== 'succeeded') this.settle(job, recorded, storedError(outcome.error));
  }

  /**
   * The agent answered 202: its result or error comes through the agent API (ClosedAttempts hears
   * it), unless the attempt's time runs out first (a retryable failure), the owner cancels it, or
   * the worker stops (interrupted). Keeps the job, and the agent's slot, meanwhile.
   */
  private async awaitReport(
    watch: WatchedAttempt,
    timeoutMs: number,
    deadline: number,
  ): Promise<Over> {
    const timer = new AbortController();
    const left = Math.max(0, deadline - performance.now());
    const expiry = sleep(left, 'timeout' as const, { signal: timer.signal });
    const stopped = new Promise<'stopped'>((resolve) => {
      if (this.stopping.signal.aborted) resolve('stopped');
      this.stopping.signal.addEventListener('abort', () => resolve('stopped'), {
        once: true,
        signal: timer.signal,
      });
    });
    try {
      const first = await Promise.race([watch.closed, expiry, stopped]);
      if (first === 'timeout') {
        return retryable(
          `the agent accepted the task (202) but posted no result within ${timeoutMs} ms`,
        );
      }
      if (first === 'stopped') {
        return interrupted('the worker shut down before the agent posted its result');
      }
      if (first.outcome === 'cancelled') {
        return { outcome: 'cancelled', httpStatus: null, error: first.error ?? '' };
      }
      return { outcome: 'reported', closed: first };
    } finally {
      // Ends the timer (its promise rejects, unheard: the race is over) and the stop listener.
      timer.abort();
    }
  }

  /** A cancel closed an attempt its agent had accepted (202): the agent is told, best effort. */
  private async tellCancelled(target: Candidate, message: DispatchMessage): Promise<void> {
    try {
      await this.dispatcher.cancel(target, message);
    } catch (error) {
      this.logger.warn({ err: error, taskId: message.taskId }, 'Could not send task.cancel');
    }
  }

  /** Makes Bull do what the agent's report (or a cancel) left the task as. */
  private settleReported(job: Job<TaskJobData>, closed: ClosedAttempt): void {
    if (closed.outcome === 'succeeded' || closed.outcome === 'cancelled') return;
    this.settle(
      job,
      { status: closed.status, attempt: closed.attempt, interrupted: [] },
      closed.error ?? '',
    );
  }

  /**
   * No agent can take the task now. Not an attempt: the task waits for one in PostgreSQL and this
   * job ends, leaving nothing behind in Redis (the task is queued again, with a job of its own,
   * when it is woken). Past its wait's deadline the task fails instead, naming what it waited for.
   */
  private async park(
    job: Job<TaskJobData>,
    route: RouteRequest,
    generation: number,
  ): Promise<void> {
    const parked = await this.repository.park(
      job.data.taskId,
      generation,
      this.config.tasks.scheduleTimeoutMs,
    );
    if (!parked) return; // cancelled, finished, or queued again since
    await this.releaseAll(parked.interrupted);
    if (parked.status === 'failed') {
      this.count(parked, job.data);
      this.settle(job, parked, parked.error ?? 'no agent became available');
      return;
    }
    // Bull reads it when the job completes, once this returns: a waiting task has no job.
    job.opts.removeOnComplete = true;
    await this.waiting.afterParking(route);
  }

  /** Gives a slot back; when tasks may be waiting for its agent, they may go now. */
  private async release(target: Candidate, attemptId: string): Promise<void> {
    if (await this.slots.release(target.id, attemptId)) {
      void this.waiting.agentMayTakeWork(target.id);
    }
  }

  /** Gives back the slots of attempts a dead worker left running: their agents may take work. */
  private async releaseAll(holders: SlotHolder[]): Promise<void> {
    for (const agentId of await this.slots.releaseAll(holders)) {
      void this.waiting.agentMayTakeWork(agentId);
    }
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
}
