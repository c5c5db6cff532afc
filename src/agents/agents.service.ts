import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { findVisible, ownerFilter, visibleTo } from '../common/ownership/owned';
import { mapPage, Page, paginate } from '../common/pagination/page';
import { AgentDto, CreatedAgentDto } from './dto/agent.dto';
import { CreateAgentDto } from './dto/create-agent.dto';
import { HeartbeatResponseDto } from './dto/heartbeat.dto';
import { ListAgentsDto } from './dto/list-agents.dto';
import { UpdateAgentDto } from './dto/update-agent.dto';
import { EndpointPolicy } from '../dispatch/endpoint-policy';
import { A2aTransport, CARD_TIMEOUT_MS } from '../dispatch/a2a-transport';
import { capabilitiesFromSkills } from './a2a-capabilities';
import { issueAgentCredentials } from './agent-credentials.service';
import { AgentsError, AgentsErrorCode } from './agents.errors';
import { Agent, AgentStatus } from './entities/agent.entity';

const NOT_FOUND = () => new AgentsError(AgentsErrorCode.AgentNotFound, 'Agent not found.');

/** The agent registry: owners see their own agents, admins every agent. */
@Injectable()
export class AgentsService {
  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly endpoints: EndpointPolicy,
    private readonly a2a: A2aTransport,
  ) {}

  async create(
    actor: AuthenticatedUser,
    dto: CreateAgentDto,
    client: ClientContext,
  ): Promise<CreatedAgentDto> {
    const endpoint = await this.endpoints.assertAllowed(dto.endpointUrl);
    const capabilities = await this.capabilitiesFor(dto);
    const { signingSecret, agentToken, tokenHash } = issueAgentCredentials();
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Agent);
      const agent = await repository.save(
        repository.create({
          ownerId: actor.id,
          name: dto.name,
          description: dto.description ?? null,
          capabilities,
          status: 'inactive',
          endpointUrl: dto.endpointUrl,
          protocol: dto.protocol ?? 'http',
          maxConcurrency: dto.maxConcurrency ?? 1,
          config: dto.config ?? {},
          signingSecret,
          tokenHash,
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
      return { ...AgentDto.from({ ...agent, inFlight: 0 }), signingSecret, agentToken };
    });
  }

  /**
   * The capabilities sent, or (an a2a agent without any) its card's skill ids. An a2a agent's card
   * is read either way: unreachable or invalid, the agent is not created (400).
   */
  private async capabilitiesFor(dto: CreateAgentDto): Promise<string[]> {
    if (dto.protocol !== 'a2a') return dto.capabilities ?? [];
    const card = await this.a2a.readCard(dto.endpointUrl, CARD_TIMEOUT_MS);
    return dto.capabilities ?? capabilitiesFromSkills(card.skillIds);
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
    const visible = await findVisible(this.agents.manager, Agent, actor, id, NOT_FOUND);
    const endpoint = changes.endpointUrl
      ? await this.endpoints.assertAllowed(changes.endpointUrl)
      : null;
    // An agent that is (or becomes) a2a at a new place must have a readable card there.
    if (
      (changes.protocol ?? visible.protocol) === 'a2a' &&
      (changes.protocol !== undefined || changes.endpointUrl !== undefined)
    ) {
      await this.a2a.readCard(changes.endpointUrl ?? visible.endpointUrl, CARD_TIMEOUT_MS);
    }
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

  /** A heartbeat sent by the agent's owner (or an admin) on its behalf. */
  heartbeat(
    actor: AuthenticatedUser,
    id: string,
    status?: AgentStatus,
  ): Promise<HeartbeatResponseDto> {
    return this.beat(id, ownerFilter(actor), status);
  }

  /**
   * Records that the agent is alive (and in which state), whether the agent itself or its owner
   * says so; `ownerId` null for any owner (an admin). Not audited: agents call it constantly.
   */
  async beat(
    id: string,
    ownerId: string | null,
    status: AgentStatus = 'active',
  ): Promise<HeartbeatResponseDto> {
    const [rows] = await this.agents.manager.query<
      [{ id: string; status: AgentStatus; last_heartbeat: Date }[], number]
    >(
      `UPDATE agents SET status = $2, last_heartbeat = now()
        WHERE id = $1 AND ($3::uuid IS NULL OR owner_id = $3)
        RETURNING id, status, last_heartbeat`,
      [id, status, ownerId],
    );
    const row = rows[0];
    if (!row) throw NOT_FOUND();
    return { id: row.id, status: row.status, lastHeartbeat: row.last_heartbeat.toISOString() };
  }
}
