import { Injectable } from '@nestjs/common';
import { AgentSlots } from './agent-slots';
import { Candidate } from './execution.records';
import { ExecutionRepository } from './execution.repository';

/** What a task asks of the agent that will run it. */
export interface RouteRequest {
  ownerId: string;
  taskType: string;
  /** The agent the task names; routing by capability when null. */
  requestedAgentId: string | null;
}

/**
 * Routing: picks the agent an attempt runs on and takes one of its concurrency slots.
 */
@Injectable()
export class AgentRouter {
  constructor(
    private readonly repository: ExecutionRepository,
    private readonly slots: AgentSlots,
  ) {}

  /**
   * Takes one concurrency slot, for the attempt `attemptId`, on an agent of the owner that may
   * receive the task: the named agent, or else the least-loaded active agent whose capabilities
   * contain the task type (ties: the freshest heartbeat; the 100 freshest are considered). 'none'
   * when no such agent is active, 'busy' when all their slots are taken. The slot is given back by
   * AgentSlots.release once the attempt is over (AgentSlots.repair catches one never given back).
   */
  async claim(route: RouteRequest, attemptId: string): Promise<Candidate | 'none' | 'busy'> {
    const candidates = await this.repository.candidates(
      route.ownerId,
      route.taskType,
      route.requestedAgentId,
    );
    if (candidates.length === 0) return 'none';
    const claimed = await this.slots.claim(candidates, attemptId);
    return candidates.find((candidate) => candidate.id === claimed) ?? 'busy';
  }
}
