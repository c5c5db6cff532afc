import { Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { InjectRedis } from '../redis/redis.module';
import { RunningAttempt, SlotHolder } from './execution.records';

/** An agent that may take a task, and how many dispatches it accepts at once. */
export interface SlotCandidate {
  id: string;
  maxConcurrency: number;
}

/**
 * KEYS: the slot sets of the candidates, in order of preference. ARGV[1]: the attempt id,
 * ARGV[2]: now (ms), ARGV[2 + i]: the max concurrency of candidate i. Takes a slot on the
 * least-loaded candidate with a free one (ties: the first) and returns its 1-based index, or 0.
 */
const CLAIM_SCRIPT = `
local best, fewest = 0, nil
for i = 1, #KEYS do
  local taken = redis.call('ZCARD', KEYS[i])
  if taken < tonumber(ARGV[2 + i]) and (fewest == nil or taken < fewest) then
    best, fewest = i, taken
  end
end
if best > 0 then redis.call('ZADD', KEYS[best], ARGV[2], ARGV[1]) end
return best`;

const KEY_SPACE = 'agent-slots:';
/** Per agent, present while tasks may be waiting for it (markWaiting). */
const WAITING_SPACE = 'agent-waiting:';
const WAITING_MARK_S = 3600;

interface SlotCommands {
  ymeraClaimAgentSlot(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/**
 * Agent concurrency slots, in Redis: per agent, a sorted set of the attempts holding one (scored
 * by when they took it). A claim is one atomic script over the candidates, so maxConcurrency holds
 * however many workers claim at once, and no database row is locked by every dispatch of an agent.
 *
 * PostgreSQL stays the record: an attempt holds its slot while it runs (finished_at IS NULL).
 * A slot is given back when its attempt closes; one left behind (a process died between the two,
 * or Redis lost its keys) is set right by repair(), which the reconciler runs.
 */
@Injectable()
export class AgentSlots {
  private readonly logger = new Logger(AgentSlots.name);
  private readonly commands: SlotCommands;

  constructor(@InjectRedis() private readonly redis: Redis) {
    redis.defineCommand('ymeraClaimAgentSlot', { lua: CLAIM_SCRIPT });
    this.commands = redis as unknown as SlotCommands;
  }

  /** Takes a slot for `attemptId` on the least-loaded candidate with one free; null if none is. */
  async claim(candidates: SlotCandidate[], attemptId: string): Promise<string | null> {
    if (candidates.length === 0) return null;
    const index = await this.commands.ymeraClaimAgentSlot(
      candidates.length,
      ...candidates.map((candidate) => KEY_SPACE + candidate.id),
      attemptId,
      Date.now(),
      ...candidates.map((candidate) => candidate.maxConcurrency),
    );
    return index > 0 ? candidates[index - 1].id : null;
  }

  /**
   * Gives the slot of `attemptId` back, and answers whether tasks may be waiting for the agent
   * (markWaiting). Best effort, for every caller alike: a slot Redis could not be told about is
   * given back by repair() once it is older than the grace period (which then wakes every agent).
   */
  async release(agentId: string, attemptId: string): Promise<boolean> {
    try {
      const replies = await this.redis
        .multi()
        .zrem(KEY_SPACE + agentId, attemptId)
        .exists(WAITING_SPACE + agentId)
        .exec();
      const [error, waiting] = replies?.[1] ?? [null, 0];
      if (error) throw error;
      return Number(waiting) > 0;
    } catch (error) {
      this.logger.warn({ err: error, agentId }, 'Could not give an agent slot back');
      return false;
    }
  }

  /**
   * Marks that tasks may be waiting for these agents: the next slot one of them gives back makes
   * its giver wake them (release). Set by a task that waits while they are full, and by a wake-up
   * that left tasks waiting; the mark lapses after WAITING_MARK_S (the reconciler's wake-up of
   * every agent covers a wait that long).
   */
  async markWaiting(agentIds: string[]): Promise<void> {
    if (agentIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const agentId of agentIds)
      pipeline.set(WAITING_SPACE + agentId, '1', 'EX', WAITING_MARK_S);
    await pipeline.exec();
  }

  /**
   * For a wake-up of the agent's waiting tasks: takes its waiting mark off (the wake-up puts it
   * back if it leaves tasks waiting) and answers the slots taken, both at one instant.
   */
  async takeWaitingMark(agentId: string): Promise<number> {
    const replies = await this.redis
      .multi()
      .del(WAITING_SPACE + agentId)
      .zcard(KEY_SPACE + agentId)
      .exec();
    const [error, taken] = replies?.[1] ?? [null, 0];
    if (error) throw error;
    return Number(taken);
  }

  /**
   * Gives back the slots of attempts a dead worker left running, once a change closed them; the
   * agents tasks may be waiting for.
   */
  async releaseAll(holders: SlotHolder[]): Promise<string[]> {
    const waitedFor: string[] = [];
    for (const { agentId, attemptId } of holders) {
      if (await this.release(agentId, attemptId)) waitedFor.push(agentId);
    }
    return waitedFor;
  }

  /** Slots taken on the agent right now. */
  taken(agentId: string): Promise<number> {
    return this.redis.zcard(KEY_SPACE + agentId);
  }

  /** The candidates that have a slot free right now, in one round trip. */
  async withFreeSlots(candidates: SlotCandidate[]): Promise<SlotCandidate[]> {
    if (candidates.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const candidate of candidates) pipeline.zcard(KEY_SPACE + candidate.id);
    const replies = (await pipeline.exec()) ?? [];
    return candidates.filter((candidate, i) => {
      const [error, taken] = replies[i] ?? [null, 0];
      return !error && Number(taken) < candidate.maxConcurrency;
    });
  }

  /**
   * Makes the slots agree with the running attempts: every running attempt holds one (Redis may
   * have lost its keys), and a slot taken longer than `graceMs` ago by no running attempt is given
   * back (its process died before giving it back). Younger slots are left alone: their attempt may
   * be about to start.
   */
  async repair(
    running: RunningAttempt[],
    graceMs: number,
  ): Promise<{ restored: number; freed: number }> {
    let restored = 0;
    if (running.length > 0) {
      const pipeline = this.redis.pipeline();
      for (const attempt of running) {
        pipeline.zadd(
          KEY_SPACE + attempt.agentId,
          'NX',
          attempt.startedAt.getTime(),
          attempt.attemptId,
        );
      }
      for (const [, added] of (await pipeline.exec()) ?? []) restored += Number(added ?? 0);
    }
    const holders = new Set(running.map((attempt) => attempt.attemptId));
    const cutoff = Date.now() - graceMs;
    // SCAN matches and answers whole keys: the client's prefix is added by hand, and taken off.
    const prefix = this.redis.options.keyPrefix ?? '';
    let freed = 0;
    for await (const keys of this.redis.scanStream({
      match: `${prefix}${KEY_SPACE}*`,
      count: 500,
    })) {
      for (const fullKey of keys as string[]) {
        const key = fullKey.slice(prefix.length);
        const stale = (await this.redis.zrangebyscore(key, '-inf', cutoff)).filter(
          (attemptId) => !holders.has(attemptId),
        );
        if (stale.length > 0) freed += await this.redis.zrem(key, ...stale);
      }
    }
    return { restored, freed };
  }
}
