import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { mapPage, Page, paginate } from '../common/pagination/page';
import { AgentDto, CreatedAgentDto } from './dto/agent.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { HeartbeatResponseDto } from './dto/heartbeat.dto';
import { ListAgentsDto } from './dto/list-agents.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';
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
/** ... and have a free slot right now. */
const CLAIMABLE = `${CAPABLE} AND in_flight < max_concurrency`;
/** A claim that keeps meeting rows other claims hold gives up after this many passes. */
const CLAIM_PASSES = 5;

interface DispatchTargetRow {
  id: string;
  endpoint_url: string;
  protocol: AgentProtocol;
  signing_secret: string;
}

/**
 * The agent registry (owners see their own agents, admins every agent) and the routing the
 * dispatcher relies on: claimAgent/releaseAgent keep in_flight within max_concurrency.
 */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly endpoints: EndpointPolicy,
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
          inFlight: 0,
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
      return { ...AgentDto.from(agent), signingSecret };
    });
  }

  async list(actor: AuthenticatedUser, query: ListAgentsDto): Promise<Page<AgentDto>> {
    const qb = this.visibleTo(this.agents.createQueryBuilder('agent'), actor);
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
    return AgentDto.from(await this.find(this.agents.manager, actor, id));
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
    await this.find(this.agents.manager, actor, id);
    const endpoint = changes.endpointUrl
      ? await this.endpoints.assertAllowed(changes.endpointUrl)
      : null;
    return this.dataSource.transaction(async (manager) => {
      const current = await this.find(manager, actor, id, true);
      if (Object.keys(changes).length === 0) return AgentDto.from(current);
      // The loaded row has no signing secret (select: false); save() writes only what changed.
      await manager.getRepository(Agent).save(Object.assign(current, changes));
      const agent = await this.find(manager, actor, id);
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
      const agent = await this.find(manager, actor, id, true);
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
      [id, status, this.ownerFilter(actor)],
    );
    const row = rows[0];
    if (!row) throw new NotFoundException(NOT_FOUND);
    return { id: row.id, status: row.status, lastHeartbeat: row.last_heartbeat.toISOString() };
  }

  /**
   * Atomically takes one concurrency slot on an agent of `ownerId` that may receive the task:
   * the named agent, or else the least-loaded active agent whose capabilities contain taskType
   * (ties: the freshest heartbeat). Null when none is active with a free slot. Every successful
   * claim must be followed by exactly one releaseAgent once the attempt is over.
   */
  async claimAgent(
    input: ClaimAgentInput,
    manager?: EntityManager,
  ): Promise<DispatchTarget | null> {
    const runner = manager ?? this.agents.manager;
    const params = [input.ownerId, input.taskType, input.agentId ?? null];
    // First pass: SKIP LOCKED spreads simultaneous claims over agents instead of queueing them on
    // one row. It also skips a row a concurrent claim holds for a few microseconds, so an empty
    // answer is only believed once no candidate has a free slot; until then the next pass waits
    // for the row lock, and FOR UPDATE re-checks in_flight < max_concurrency on the committed row.
    for (let pass = 0; pass < CLAIM_PASSES; pass += 1) {
      const [rows] = await runner.query<[DispatchTargetRow[], number]>(
        `UPDATE agents SET in_flight = in_flight + 1
          WHERE id = (
            SELECT id FROM agents
             WHERE ${CLAIMABLE}
             ORDER BY in_flight ASC, last_heartbeat DESC NULLS LAST, id ASC
             LIMIT 1
             FOR UPDATE ${pass === 0 ? 'SKIP LOCKED' : ''})
          RETURNING id, endpoint_url, protocol, signing_secret`,
        params,
      );
      const row = rows[0];
      if (row) {
        return {
          id: row.id,
          endpointUrl: row.endpoint_url,
          protocol: row.protocol,
          signingSecret: row.signing_secret,
        };
      }
      const [{ free }] = await runner.query<{ free: boolean }[]>(
        `SELECT EXISTS (SELECT 1 FROM agents WHERE ${CLAIMABLE}) AS free`,
        params,
      );
      if (!free) return null;
    }
    return null;
  }

  /**
   * Gives back a slot taken by claimAgent (never below zero). A worker killed mid-dispatch leaks its
   * slot; the tasks reconciler repairs it by calling this when it re-queues the in_progress task.
   */
  async releaseAgent(agentId: string, manager?: EntityManager): Promise<void> {
    await (manager ?? this.agents.manager).query(
      `UPDATE agents SET in_flight = GREATEST(in_flight - 1, 0) WHERE id = $1`,
      [agentId],
    );
  }

  /**
   * How many active agents of the owner could take the task if they had a free slot (the named one,
   * or those with the capability). 0 means "no active agent"; more than 0 after a null claimAgent
   * means "all busy". Both are retryable for the dispatcher.
   */
  async countCapable(ownerId: string, taskType: string, agentId?: string | null): Promise<number> {
    const rows = await this.agents.manager.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM agents WHERE ${CAPABLE}`,
      [ownerId, taskType, agentId ?? null],
    );
    return rows[0]?.count ?? 0;
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

  /** Owner-scoped lookup: another user's agent is a 404, exactly like a missing one. */
  private async find(
    manager: EntityManager,
    actor: AuthenticatedUser,
    id: string,
    lock = false,
  ): Promise<Agent> {
    const qb = this.visibleTo(
      manager.getRepository(Agent).createQueryBuilder('agent').where('agent.id = :id', { id }),
      actor,
    );
    if (lock) qb.setLock('pessimistic_write');
    const agent = await qb.getOne();
    if (!agent) throw new NotFoundException(NOT_FOUND);
    return agent;
  }

  private visibleTo(
    qb: SelectQueryBuilder<Agent>,
    actor: AuthenticatedUser,
  ): SelectQueryBuilder<Agent> {
    const ownerId = this.ownerFilter(actor);
    return ownerId ? qb.andWhere('agent.ownerId = :ownerId', { ownerId }) : qb;
  }

  /** The owner every query is limited to, or null for an admin, who sees every agent. */
  private ownerFilter(actor: AuthenticatedUser): string | null {
    return actor.role === 'admin' ? null : actor.id;
  }
}
