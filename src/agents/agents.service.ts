import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { findVisible, ownerFilter, visibleTo } from '../common/ownership/owned';
import { mapPage, Page, paginate } from '../common/pagination/page';
import { preparedQuery } from '../database/prepared-query';
import { AgentDto, CreatedAgentDto } from './dto/agent.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { HeartbeatResponseDto } from './dto/heartbeat.dto';
import { ListAgentsDto } from './dto/list-agents.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';
import { AgentSlots } from './agent-slots';
import { EndpointPolicy } from './endpoint-policy';
import { Agent, AgentProtocol, AgentStatus } from './entities/agent.entity';

/** What the dispatcher needs to reach an agent it has claimed a slot on. */
export interface DispatchTarget {
  id: string;
  endpointUrl: string;
  protocol: 'http' | 'a2a';
  signingSecret: string;
}

export interface ClaimAgentInput {
  ownerId: string;
  taskType: string;
  /** The agent the task names; routing by capability when absent. */
  agentId?: string | null;
}

const NOT_FOUND = 'Agent not found.';
const SIGNING_SECRET_BYTES = 32;

/** $1 owner, $2 task type, $3 named agent (or null): the agents that could take the task. */
const CAPABLE = `owner_id = $1 AND status = 'active'
  AND (CASE WHEN $3::uuid IS NULL THEN capabilities @> ARRAY[$2::text] ELSE id = $3::uuid END)`;
/**
 * The agents claimAgent chooses among, in order of preference; prepared (see preparedQuery).
 * $1 owner, $2 task type, $3 the requested agent or null. Exported for the pipeline benchmark.
 */
export const CANDIDATES = {
  name: 'ymera_agent_candidates',
  text: `SELECT id, endpoint_url, protocol, signing_secret, max_concurrency
           FROM agents WHERE ${CAPABLE}
          ORDER BY last_heartbeat DESC NULLS LAST, id
          LIMIT 100`,
};

interface CandidateRow {
  id: string;
  endpoint_url: string;
  protocol: AgentProtocol;
  signing_secret: string;
  max_concurrency: number;
}

/**
 * The agent registry (owners see their own agents, admins every agent) and the routing the
 * dispatcher relies on: claimAgent takes a slot within max_concurrency (AgentSlots gives it back).
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly endpoints: EndpointPolicy,
    private readonly slots: AgentSlots,
  ) {}

  async create(
    actor: AuthenticatedUser,
    dto: CreateAgentDto,
    client: ClientContext,
  ): Promise<CreatedAgentDto> {
    const endpoint = await this.endpoints.assertAllowed(dto.endpointUrl);
    const signingSecret = randomBytes(SIGNING_SECRET_BYTES).toString('base64url');
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Agent);
      const agent = await repository.save(
        repository.create({
          ownerId: actor.id,
          name: dto.name,
          description: dto.description ?? null,
          capabilities: dto.capabilities,
          status: 'inactive',
          endpointUrl: dto.endpointUrl,
          protocol: dto.protocol ?? 'http',
          maxConcurrency: dto.maxConcurrency ?? 1,
          config: dto.config ?? {},
          signingSecret,
          lastHeartbeat: null,
        }),
      );
      await this.audit.record(
        {
          action: AuditAction.AgentCreate,
          actorId: actor.id,
          resourceType: 'agent',
          resourceId: agent.id,
          client,
          details: {
            name: agent.name,
            ownerId: agent.ownerId,
            capabilities: agent.capabilities,
            protocol: agent.protocol,
            maxConcurrency: agent.maxConcurrency,
            endpointHost: endpoint.url.host,
          },
        },
        manager,
      );
      // A new agent runs nothing yet.
      return { ...AgentDto.from({ ...agent, inFlight: 0 }), signingSecret };
    });
  }

  async list(actor: AuthenticatedUser, query: ListAgentsDto): Promise<Page<AgentDto>> {
    const qb = visibleTo(this.agents.createQueryBuilder('agent'), 'agent', actor);
    if (query.status) qb.andWhere('agent.status = :status', { status: query.status });
    if (query.capability) {
      // Containment (@>) is what the GIN index on capabilities serves.
      qb.andWhere('agent.capabilities @> ARRAY[:capability]::text[]', {
        capability: query.capability,
      });
    }
    return mapPage(await paginate(qb, query, 'createdAt'), AgentDto.from);
  }

  async get(actor: AuthenticatedUser, id: string): Promise<AgentDto> {
    return AgentDto.from(await findVisible(this.agents.manager, Agent, actor, id, NOT_FOUND));
  }

  async update(
    actor: AuthenticatedUser,
    id: string,
    dto: UpdateAgentDto,
    client: ClientContext,
  ): Promise<AgentDto> {
    const changes: Partial<Agent> = {};
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.capabilities !== undefined) changes.capabilities = dto.capabilities;
    if (dto.endpointUrl !== undefined) changes.endpointUrl = dto.endpointUrl;
    if (dto.protocol !== undefined) changes.protocol = dto.protocol;
    if (dto.maxConcurrency !== undefined) changes.maxConcurrency = dto.maxConcurrency;
    if (dto.config !== undefined) changes.config = dto.config;
    // Ownership first: a stranger learns nothing, not even whether the URL would pass.
    await findVisible(this.agents.manager, Agent, actor, id, NOT_FOUND);
    const endpoint = changes.endpointUrl
      ? await this.endpoints.assertAllowed(changes.endpointUrl)
      : null;
    return this.dataSource.transaction(async (manager) => {
      const current = await findVisible(manager, Agent, actor, id, NOT_FOUND, true);
      if (Object.keys(changes).length === 0) return AgentDto.from(current);
      // The loaded row has no signing secret (select: false); save() writes only what changed and
      // reads the new updated_at back (RETURNING).
      const agent = await manager.getRepository(Agent).save(Object.assign(current, changes));
      await this.audit.record(
        {
          action: AuditAction.AgentUpdate,
          actorId: actor.id,
          resourceType: 'agent',
          resourceId: agent.id,
          client,
          details: {
            name: agent.name,
            ownerId: agent.ownerId,
            changed: Object.keys(changes),
            ...(endpoint ? { endpointHost: endpoint.url.host } : {}),
          },
        },
        manager,
      );
      return AgentDto.from(agent);
    });
  }

  async remove(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const agent = await findVisible(manager, Agent, actor, id, NOT_FOUND, true);
      await manager.getRepository(Agent).delete({ id: agent.id });
      await this.audit.record(
        {
          action: AuditAction.AgentDelete,
          actorId: actor.id,
          resourceType: 'agent',
          resourceId: agent.id,
          client,
          details: { name: agent.name, ownerId: agent.ownerId },
        },
        manager,
      );
    });
  }

  /** Records that the agent is alive (and in which state). Not audited: agents call it constantly. */
  async heartbeat(
    actor: AuthenticatedUser,
    id: string,
    status: AgentStatus = 'active',
  ): Promise<HeartbeatResponseDto> {
    const [rows] = await this.agents.manager.query<
      [{ id: string; status: AgentStatus; last_heartbeat: Date }[], number]
    >(
      `UPDATE agents SET status = $2, last_heartbeat = now()
        WHERE id = $1 AND ($3::uuid IS NULL OR owner_id = $3)
        RETURNING id, status, last_heartbeat`,
      [id, status, ownerFilter(actor)],
    );
    const row = rows[0];
    if (!row) throw new NotFoundException(NOT_FOUND);
    return { id: row.id, status: row.status, lastHeartbeat: row.last_heartbeat.toISOString() };
  }

  /**
   * Takes one concurrency slot, for the attempt `attemptId`, on an agent of `ownerId` that may
   * receive the task: the named agent, or else the least-loaded active agent whose capabilities
   * contain taskType (ties: the freshest heartbeat; the 100 freshest are considered). 'none' when
   * no such agent is active, 'busy' when all their slots are taken. The slot is given back by
   * AgentSlots.release once the attempt is over (AgentSlots.repair catches one never given back).
   */
  async claimAgent(
    input: ClaimAgentInput,
    attemptId: string,
  ): Promise<DispatchTarget | 'none' | 'busy'> {
    const candidates = await preparedQuery<CandidateRow>(this.dataSource, CANDIDATES, [
      input.ownerId,
      input.taskType,
      input.agentId ?? null,
    ]);
    if (candidates.length === 0) return 'none';
    const claimed = await this.slots.claim(
      candidates.map((row) => ({ id: row.id, maxConcurrency: row.max_concurrency })),
      attemptId,
    );
    const row = candidates.find((candidate) => candidate.id === claimed);
    if (!row) return 'busy';
    return {
      id: row.id,
      endpointUrl: row.endpoint_url,
      protocol: row.protocol,
      signingSecret: row.signing_secret,
    };
  }

  /** Sets every active or busy agent whose last heartbeat is older than the TTL to inactive. */
  async expireHeartbeats(ttlS: number): Promise<number> {
    const [, affected] = await this.agents.manager.query<[unknown[], number]>(
      `UPDATE agents SET status = 'inactive'
        WHERE status IN ('active', 'busy')
          AND (last_heartbeat IS NULL OR last_heartbeat < now() - make_interval(secs => $1))`,
      [ttlS],
    );
    return affected;
  }
}
