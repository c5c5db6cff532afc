import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { settledWithin } from '../common/async/deadline';
import { RerunPerKey } from '../common/async/rerun-per-key';
import { AppConfig } from '../config/app-config';
import { ChangeFeed, ChangeSubscriber } from '../database/change-feed';
import { MetricsService } from '../metrics/metrics.service';
import { TaskQueue } from '../queue/task-queue.service';
import { AgentSlots } from './agent-slots';
import { RouteRequest } from './agent-router';
import { ExecutionRepository } from './execution.repository';

/** Announced by the agents table's triggers (migration WaitingForAgents1764806500000). */
export const AGENT_AVAILABLE_CHANNEL = 'ymera_agent_available';
/** Tasks woken per statement; an agent with more free slots is woken again at once. */
const WAKE_BATCH = 100;
/** Tasks failed per statement by the deadline sweep; more are failed by the next statement. */
const EXPIRE_BATCH = 500;
/** How long a stopping process waits for the wake-ups under way. */
const SHUTDOWN_WAIT_MS = 2000;

/**
 * Tasks waiting for an agent (README, "Task lifecycle"). A task no agent can take now is parked in
 * PostgreSQL (TaskRunner) and costs nothing while nothing changes: no job, no timer, no poll.
 * It is woken, queued again with a job of a new generation, when an agent may take it:
 * - an agent becomes active, or an active one's capabilities or concurrency change: the agents
 *   table's trigger NOTIFYs every worker at commit (the api process handles heartbeats);
 * - a worker gives back a slot of an agent tasks may be waiting for (AgentSlots.markWaiting): that
 *   worker wakes directly;
 * - the task has just been parked: its worker looks once more, after the park committed, for an
 *   agent with a free slot, which closes the race with an agent freed between its claim and its park
 *   (that agent's own wake-up ran before the park and could not see it);
 * - the listening connection was (re)opened, and the reconciler's pass: a wake-up of every agent
 *   some waiting task could run on, for whatever was missed meanwhile.
 * A wake-up of an agent wakes at most as many tasks as it has free slots, most urgent first;
 * SKIP LOCKED keeps two workers from waking the same task. Several workers hearing the same
 * notification may wake more tasks than there are slots: the extra ones park again.
 */
@Injectable()
export class WaitingTasks
  implements OnApplicationBootstrap, BeforeApplicationShutdown, ChangeSubscriber
{
  private readonly logger = new Logger(WaitingTasks.name);
  /** Agents being woken, and whether they must be woken once more when that ends. */
  private readonly waking = new RerunPerKey((error, agentId) =>
    this.logger.error({ err: error, agentId }, 'Could not wake the tasks waiting for an agent'),
  );
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    private readonly repository: ExecutionRepository,
    private readonly slots: AgentSlots,
    private readonly queue: TaskQueue,
    private readonly metrics: MetricsService,
    private readonly feed: ChangeFeed,
  ) {
    feed.subscribe(AGENT_AVAILABLE_CHANNEL, this);
  }

  onApplicationBootstrap(): void {
    // The feed opens its connection on first use: a worker listens from its start.
    this.feed.isListening();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const under = this.waking.settled();
    if (!(await settledWithin(under, SHUTDOWN_WAIT_MS))) {
      // Left behind: a task woken but not queued is queued by the reconciler.
      this.logger.warn(`Wake-ups of waiting tasks did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  /** The agents table announced that `agentId` may take work (ChangeFeed). */
  changed(agentId: string): void {
    if (!this.stopping) void this.agentMayTakeWork(agentId);
  }

  /**
   * The feed's connection was lost or listens again: announcements may have been missed, so every
   * agent some waiting task could run on is woken (while the connection is down, freed slots and
   * the reconciler's pass wake tasks).
   */
  reset(): void {
    if (!this.stopping) void this.wakeAll();
  }

  /**
   * `agentId` may take work: wakes the tasks waiting for it, as many as it has free slots. A call
   * while the agent is being woken makes that wake-up run once more when it ends.
   */
  agentMayTakeWork(agentId: string): Promise<void> {
    return this.waking.run(
      agentId,
      () => this.wake(agentId),
      () => true,
    );
  }

  /**
   * After a task was parked: the agents that could take it are marked (the next slot one of them
   * gives back wakes it), and those with a free slot now wake.
   */
  async afterParking(route: RouteRequest): Promise<void> {
    try {
      const candidates = await this.repository.candidates(
        route.ownerId,
        route.taskType,
        route.requestedAgentId,
      );
      await this.slots.markWaiting(candidates.map((candidate) => candidate.id));
      const free = await this.slots.withFreeSlots(candidates);
      await Promise.all(free.map((agent) => this.agentMayTakeWork(agent.id)));
    } catch (error) {
      // The task waits for the next change, or the reconciler's wake-up.
      this.logger.error({ err: error }, 'Could not look for an agent after parking a task');
    }
  }

  /** Wakes every agent some waiting task could run on. Never rejects. */
  async wakeAll(): Promise<void> {
    try {
      const agents = await this.repository.agentsWithWaitingTasks();
      await Promise.all(agents.map((agentId) => this.agentMayTakeWork(agentId)));
    } catch (error) {
      this.logger.error({ err: error }, 'Could not wake the waiting tasks');
    }
  }

  /**
   * Fails the waiting tasks whose wait's deadline passed, with their task.fail records; how many.
   * One statement for any number of waiting tasks (a batch at a time).
   */
  async expireOverdue(): Promise<number> {
    let failed = 0;
    for (;;) {
      const types = await this.repository.expireWaiting(
        this.config.tasks.scheduleTimeoutMs,
        EXPIRE_BATCH,
      );
      for (const taskType of types) this.metrics.taskCounted('failed', taskType);
      failed += types.length;
      if (types.length < EXPIRE_BATCH) return failed;
    }
  }

  /**
   * Wakes as many of the agent's waiting tasks as it has free slots and queues them. When that
   * leaves tasks waiting (every free slot went), marks the agent (AgentSlots.markWaiting) so that
   * the next slot it gives back wakes them; a slot given back while this ran, before the mark was
   * put back, is seen in the count taken after it, and wakes again.
   */
  private async wake(agentId: string): Promise<void> {
    for (;;) {
      const taken = await this.slots.takeWaitingMark(agentId);
      for (;;) {
        // Tasks woken (by this call or another) hold no slot until their job claims one: the
        // statement counts them as taken, for up to a lock duration (a live worker claims
        // within moments; a dead one's task is queued again by the reconciler).
        const { free, tasks } = await this.repository.wake(
          agentId,
          taken,
          WAKE_BATCH,
          this.config.tasks.lockDurationMs,
        );
        // One after the other, in the order of urgency: the queue keeps it within a priority. A
        // task that could not be queued (Redis down) is queued by the reconciler.
        for (const task of tasks) await this.queue.enqueue(task);
        // Not active: it becomes active through a change the agents table announces.
        if (free === null) return;
        // Fewer than it could take: nothing is left waiting for it.
        if (tasks.length < Math.min(free, WAKE_BATCH)) return;
        // Every free slot went: tasks may still be waiting.
        if (tasks.length === free) break;
      }
      await this.slots.markWaiting([agentId]);
      if ((await this.slots.taken(agentId)) >= taken) return;
    }
  }
}
