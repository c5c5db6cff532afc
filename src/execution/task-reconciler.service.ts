import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { Periodic } from '../common/async/periodic';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { TaskQueue } from '../queue/task-queue.service';
import { AgentSlots } from './agent-slots';
import { BacklogPosition } from './execution.records';
import { ExecutionRepository } from './execution.repository';
import { WaitingTasks } from './waiting-tasks.service';

/** Any fixed number: one reconciler at a time across every process sharing the database. */
const RECONCILER_LOCK_ID = 0x796d7274; // "ymrt"
/** Tasks looked at per pass and per kind; the next pass continues where this one stopped. */
const BATCH_SIZE = 500;
/** Redis round trips in flight at once while checking jobs. */
const PARALLEL_CHECKS = 25;
/** How long a stopping process waits for a pass under way. */
const SHUTDOWN_WAIT_MS = 2000;

export interface ReconcileReport {
  /** False when another process held the reconciler lock. */
  ran: boolean;
  requeued: number;
  interrupted: number;
  failed: number;
  /** Tasks that waited for an agent past their deadline, failed. */
  expired: number;
  /** Agent slots given back that no running attempt held, and slots of running attempts restored. */
  slotsFreed: number;
  slotsRestored: number;
}

async function inChunks<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL_CHECKS) {
    await Promise.all(items.slice(i, i + PARALLEL_CHECKS).map(work));
  }
}

/**
 * The guarantee that an accepted task is never lost. Every TASK_RECONCILE_INTERVAL_MS, in processes
 * that run workers:
 * - a pending task without a live job (Redis was down at creation, a process died between commit
 *   and enqueue, Redis lost its data) is queued again;
 * - an in_progress task whose attempt outlived its timeout and whose job is gone is taken back: the
 *   attempt is closed as interrupted, the agent slot given back, and the task queued again.
 * - agent slots (AgentSlots) agree with the running attempts again: a slot no running attempt holds
 *   (its process died before giving it back) is given back, one Redis lost is restored;
 * - tasks waiting for an agent past their wait's deadline fail (one statement for all of them), and
 *   every agent some waiting task could run on is woken (WaitingTasks), for whatever a lost
 *   notification or a failed wake-up left waiting. Waiting tasks themselves are not looked at:
 *   they have no job on purpose.
 * A worker killed mid-dispatch whose job still exists is Bull's stalled-job check's business: the job
 * runs again and that run closes the interrupted attempt (ExecutionRepository.start).
 * Re-queueing is idempotent (job id = task id) and a PostgreSQL advisory lock keeps concurrent
 * reconcilers from doing the same work twice.
 */
@Injectable()
export class TaskReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskReconciler.name);
  private readonly periodic: Periodic;
  /** Where the previous pass stopped in the pending backlog, so a long backlog is walked through. */
  private pendingCursor: BacklogPosition | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly queue: TaskQueue,
    private readonly repository: ExecutionRepository,
    private readonly slots: AgentSlots,
    private readonly metrics: MetricsService,
    private readonly waiting: WaitingTasks,
  ) {
    this.periodic = new Periodic(
      () =>
        this.reconcile().then(
          () => undefined,
          (error: unknown) => this.logger.error({ err: error }, 'Reconciliation failed'),
        ),
      config.tasks.reconcileIntervalMs,
    );
  }

  onApplicationBootstrap(): void {
    this.periodic.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // A pass held by an unresponsive PostgreSQL or Redis is left behind rather than holding the
    // shutdown: every step of it is idempotent, and its advisory lock ends with its connection.
    if (!(await this.periodic.stop(SHUTDOWN_WAIT_MS))) {
      this.logger.warn(`A reconciliation pass did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = {
      ran: false,
      requeued: 0,
      interrupted: 0,
      failed: 0,
      expired: 0,
      slotsFreed: 0,
      slotsRestored: 0,
    };
    report.ran = await this.repository.exclusively(RECONCILER_LOCK_ID, async () => {
      await this.requeueOrphans(report);
      await this.recoverAbandoned(report);
      await this.repairSlots(report);
      report.expired = await this.waiting.expireOverdue();
      await this.waiting.wakeAll();
    });
    if (report.expired > 0) {
      this.logger.log(
        `Failed ${report.expired} task(s) that waited for an agent past their deadline`,
      );
    }
    if (
      report.requeued ||
      report.interrupted ||
      report.failed ||
      report.slotsFreed ||
      report.slotsRestored
    ) {
      this.logger.warn(report, 'Reconciled tasks the queue had lost track of');
    }
    return report;
  }

  /** Pending tasks, quiet for longer than one interval, that have no job that will run. */
  private async requeueOrphans(report: ReconcileReport): Promise<void> {
    const rows = await this.repository.quietPending(
      this.config.tasks.reconcileIntervalMs,
      this.pendingCursor,
      BATCH_SIZE,
    );
    const last = rows[rows.length - 1];
    this.pendingCursor = rows.length === BATCH_SIZE ? { at: last.updatedAt, id: last.id } : null;
    await inChunks(rows, async (row) => {
      if ((await this.queue.presence(row)) !== 'missing') return;
      if (row.attempts - row.attemptsBase >= row.maxAttempts) {
        if (await this.repository.failExhausted(row.id)) {
          report.failed += 1;
          this.metrics.taskCounted('failed', row.taskType);
        }
        return;
      }
      if (await this.queue.requeue(row)) report.requeued += 1;
    });
  }

  /**
   * In_progress tasks whose attempt has run longer than its timeout plus one lock duration (a
   * live worker would have finished it by then) and whose job is gone.
   */
  private async recoverAbandoned(report: ReconcileReport): Promise<void> {
    const rows = await this.repository.abandoned(
      this.config.tasks.dispatchTimeoutMs,
      this.config.tasks.lockDurationMs,
      BATCH_SIZE,
    );
    await inChunks(rows, async (row) => {
      // A job that is queued or stalled runs again and closes the attempt itself; a running one
      // belongs to a live worker.
      if ((await this.queue.presence(row)) !== 'missing') return;
      const recorded = await this.repository.interrupt(row.id);
      if (!recorded) return;
      for (const agentId of await this.slots.releaseAll(recorded.interrupted)) {
        void this.waiting.agentMayTakeWork(agentId);
      }
      report.interrupted += 1;
      if (recorded.status === 'failed') {
        report.failed += 1;
        this.metrics.taskCounted('failed', row.taskType);
      } else if (await this.queue.requeue({ ...row, attempts: recorded.attempt })) {
        report.requeued += 1;
      }
    });
  }

  /**
   * Slots taken for longer than a lock duration (a live worker starts its attempt within moments
   * of the claim) that no running attempt holds are given back.
   */
  private async repairSlots(report: ReconcileReport): Promise<void> {
    const repaired = await this.slots.repair(
      await this.repository.runningAttempts(),
      this.config.tasks.lockDurationMs,
    );
    report.slotsFreed += repaired.freed;
    report.slotsRestored += repaired.restored;
  }
}
