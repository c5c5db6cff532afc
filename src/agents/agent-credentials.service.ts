import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { CREDENTIAL_CHANGED_CHANNEL, issueToken } from '../common/auth/machine-token';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { findVisible } from '../common/ownership/owned';
import { ChangeFeed, NotifiedCache } from '../database/change-feed';
import { AgentsError, AgentsErrorCode } from './agents.errors';
import { AgentCredentialsDto } from './dto/agent.dto';
import { Agent } from './entities/agent.entity';

const SIGNING_SECRET_BYTES = 32;

/** An agent's credentials as issued: shown once, the token kept only as its hash. */
export interface IssuedAgentCredentials {
  signingSecret: string;
  agentToken: string;
  tokenHash: Buffer;
}

export function issueAgentCredentials(): IssuedAgentCredentials {
  const token = issueToken('agent');
  return {
    signingSecret: randomBytes(SIGNING_SECRET_BYTES).toString('base64url'),
    agentToken: token.token,
    tokenHash: token.hash,
  };
}

/** Whom a valid agent token stands for. */
export interface AgentGrant {
  agentId: string;
  ownerId: string;
}

/** Agents' own credentials: the token they call Ymera with and the secret Ymera signs with. */
@Injectable()
export class AgentCredentials {
  /** Keyed by the hex of the token's hash; a rotated or deleted agent is forgotten at once. */
  private readonly grants: NotifiedCache<AgentGrant>;

  constructor(
    @InjectRepository(Agent) private readonly agents: Repository<Agent>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    feed: ChangeFeed,
  ) {
    this.grants = new NotifiedCache(feed, CREDENTIAL_CHANGED_CHANNEL, (hex) => this.read(hex));
  }

  /**
   * Replaces the agent's token and signing secret: the old token is refused on every api process
   * as soon as this commits, and the next dispatch is signed with the new secret.
   */
  async rotate(
    actor: AuthenticatedUser,
    id: string,
    client: ClientContext,
  ): Promise<AgentCredentialsDto> {
    const issued = issueAgentCredentials();
    const notFound = () => new AgentsError(AgentsErrorCode.AgentNotFound, 'Agent not found.');
    return this.dataSource.transaction(async (manager) => {
      const agent = await findVisible(manager, Agent, actor, id, notFound, true);
      await manager
        .getRepository(Agent)
        .update(
          { id: agent.id },
          { signingSecret: issued.signingSecret, tokenHash: issued.tokenHash },
        );
      await this.audit.record(
        {
          action: AuditAction.AgentCredentialsRotate,
          actorId: actor.id,
          resourceType: 'agent',
          resourceId: agent.id,
          client,
          details: { name: agent.name, ownerId: agent.ownerId },
        },
        manager,
      );
      return { signingSecret: issued.signingSecret, agentToken: issued.agentToken };
    });
  }

  /** The agent a token's hash belongs to, or null. */
  authenticate(hash: Buffer): Promise<AgentGrant | null> {
    return this.grants.get(hash.toString('hex'));
  }

  private async read(hashHex: string): Promise<AgentGrant | null> {
    const agent = await this.agents.findOne({
      where: { tokenHash: Buffer.from(hashHex, 'hex') },
      select: { id: true, ownerId: true },
    });
    return agent && { agentId: agent.id, ownerId: agent.ownerId };
  }
}
