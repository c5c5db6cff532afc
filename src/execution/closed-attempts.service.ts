import { Injectable, Logger } from '@nestjs/common';
import { ChangeFeed, ChangeSubscriber } from '../database/change-feed';
import { ClosedAttempt } from './execution.records';
import { ExecutionRepository } from './execution.repository';
import { ATTEMPT_CLOSED_CHANNEL } from './execution.sql';

/** A running attempt its worker watches for being closed by someone else. */
export interface WatchedAttempt {
  /** Resolves once the attempt is found closed by a cancel or by its agent's report. */
  readonly closed: Promise<ClosedAttempt>;
  /** Aborts when it was closed by a cancel: the dispatch stops and the agent is told. */
  readonly cancelled: AbortSignal;
  /** The worker is done with the attempt. */
  stop(): void;
}

interface Watch {
  resolve(closed: ClosedAttempt): void;
  cancel: AbortController;
}

/**
 * How a worker learns that the attempt it runs was closed elsewhere: by the owner's cancel, or by
 * the agent's result posted to the agent API after it answered 202 (docs/agent-protocol.md, "Long
 * work" and "Cancel"). The statements that do so announce the attempt id at commit on
 * ATTEMPT_CLOSED_CHANNEL (ChangeFeed, the process's one LISTEN connection); an announcement of a
 * watched attempt is checked in PostgreSQL. Nothing is polled: when announcements may have been
 * missed (the connection was lost, or listens again) every watched attempt is checked once, and
 * an attempt nobody reports on ends at its deadline anyway (TaskRunner).
 */
@Injectable()
export class ClosedAttempts implements ChangeSubscriber {
  private readonly logger = new Logger(ClosedAttempts.name);
  private readonly watched = new Map<string, Watch>();

  constructor(
    private readonly repository: ExecutionRepository,
    feed: ChangeFeed,
  ) {
    feed.subscribe(ATTEMPT_CLOSED_CHANNEL, this);
  }

  /**
   * Watches `attemptId` from now on. Call it before the attempt opens: an announcement made after
   * that is heard.
   */
  watch(attemptId: string): WatchedAttempt {
    const cancel = new AbortController();
    let resolve!: (closed: ClosedAttempt) => void;
    const closed = new Promise<ClosedAttempt>((r) => (resolve = r));
    this.watched.set(attemptId, {
      cancel,
      resolve: (attempt) => {
        if (attempt.outcome === 'cancelled') cancel.abort();
        resolve(attempt);
      },
    });
    return {
      closed,
      cancelled: cancel.signal,
      stop: () => this.watched.delete(attemptId),
    };
  }

  changed(attemptId: string): void {
    if (this.watched.has(attemptId)) void this.check([attemptId]);
  }

  reset(): void {
    if (this.watched.size > 0) void this.check([...this.watched.keys()]);
  }

  private async check(attemptIds: string[]): Promise<void> {
    try {
      for (const closed of await this.repository.closedAttempts(attemptIds)) {
        this.watched.get(closed.attemptId)?.resolve(closed);
      }
    } catch (error) {
      // The attempt ends at its deadline, when its worker finds it closed.
      this.logger.error({ err: error }, 'Could not read the attempts announced closed');
    }
  }
}
