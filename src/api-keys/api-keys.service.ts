import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { CREDENTIAL_CHANGED_CHANNEL, issueToken } from '../common/auth/machine-token';
import { ApiKeyScope } from '../common/auth/scopes';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { mapPage, Page, paginate } from '../common/pagination/page';
import { ChangeFeed, NotifiedCache } from '../database/change-feed';
import { ApiKeysError, ApiKeysErrorCode } from './api-keys.errors';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ApiKey } from './entities/api-key.entity';

/** What a valid key's hash stands for, as the global guard checks it on every request. */
export interface ApiKeyGrant {
  id: string;
  ownerId: string;
  scopes: readonly ApiKeyScope[];
  expiresAt: Date | null;
}

/** lastUsedAt is a hint for people, not a log: one write a minute per key at most. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** A bound on memory: past it the record of recent writes starts over. */
const MAX_TRACKED_KEYS = 100_000;

/** Users' API keys: created, listed and revoked by their owner, checked by the global guard. */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  /** Keyed by the hex of the key's hash; a deleted or changed key is forgotten everywhere at once. */
  private readonly grants: NotifiedCache<ApiKeyGrant>;
  /** When this process last wrote each key's lastUsedAt. */
  private readonly touched = new Map<string, number>();

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    feed: ChangeFeed,
  ) {
    this.grants = new NotifiedCache(feed, CREDENTIAL_CHANGED_CHANNEL, (hex) => this.read(hex));
  }

  async create(
    actor: AuthenticatedUser,
    dto: CreateApiKeyDto,
    client: ClientContext,
  ): Promise<CreatedApiKeyDto> {
    const issued = issueToken('apiKey');
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(ApiKey);
      const key = await repository.save(
        repository.create({
          ownerId: actor.id,
          name: dto.name,
          prefix: issued.prefix,
          keyHash: issued.hash,
          scopes: dto.scopes,
          expiresAt: dto.expiresAt ? new Date(dto.expiresAt) : null,
          lastUsedAt: null,
        }),
      );
      await this.audit.record(
        {
          action: AuditAction.ApiKeyCreate,
          actorId: actor.id,
          resourceType: 'api_key',
          resourceId: key.id,
          client,
          details: {
            name: key.name,
            prefix: key.prefix,
            scopes: key.scopes,
            expiresAt: key.expiresAt?.toISOString() ?? null,
          },
        },
        manager,
      );
      return { ...ApiKeyDto.from(key), key: issued.token };
    });
  }

  /** The caller's own keys, admins included: nobody lists anyone else's. */
  async list(actor: AuthenticatedUser, query: ListQueryDto): Promise<Page<ApiKeyDto>> {
    const qb = this.keys.createQueryBuilder('key').where('key.ownerId = :ownerId', {
      ownerId: actor.id,
    });
    return mapPage(await paginate(qb, query, 'createdAt'), ApiKeyDto.from);
  }

  /** Deletes the key: it stops working on every api process when this commits. */
  async revoke(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .delete()
        .from(ApiKey)
        .where('id = :id AND owner_id = :ownerId', { id, ownerId: actor.id })
        .returning(['id', 'name', 'prefix'])
        .execute();
      const [deleted] = result.raw as { id: string; name: string; prefix: string }[];
      if (!deleted) throw new ApiKeysError(ApiKeysErrorCode.ApiKeyNotFound, 'API key not found.');
      await this.audit.record(
        {
          action: AuditAction.ApiKeyRevoke,
          actorId: actor.id,
          resourceType: 'api_key',
          resourceId: deleted.id,
          client,
          details: { name: deleted.name, prefix: deleted.prefix },
        },
        manager,
      );
    });
  }

  /** What the key with this hash grants, whether or not it expired; null when there is none. */
  authenticate(hash: Buffer): Promise<ApiKeyGrant | null> {
    return this.grants.get(hash.toString('hex'));
  }

  /**
   * Records a use of the key: at most once a minute per key from this process, and not at all
   * when another process wrote it within the minute. A failure is logged, never the caller's.
   */
  async used(keyId: string): Promise<void> {
    const now = Date.now();
    const last = this.touched.get(keyId);
    if (last !== undefined && now - last < LAST_USED_RESOLUTION_MS) return;
    if (this.touched.size >= MAX_TRACKED_KEYS) this.touched.clear();
    this.touched.set(keyId, now);
    try {
      await this.keys
        .createQueryBuilder()
        .update()
        .set({ lastUsedAt: () => 'now()' })
        .where('id = :keyId', { keyId })
        .andWhere(
          '(last_used_at IS NULL OR last_used_at < now() - make_interval(secs => :seconds))',
          { seconds: LAST_USED_RESOLUTION_MS / 1000 },
        )
        .execute();
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not record the last use of an API key');
    }
  }

  private async read(hashHex: string): Promise<ApiKeyGrant | null> {
    const key = await this.keys.findOne({
      where: { keyHash: Buffer.from(hashHex, 'hex') },
      select: { id: true, ownerId: true, scopes: true, expiresAt: true },
    });
    return (
      key && { id: key.id, ownerId: key.ownerId, scopes: key.scopes, expiresAt: key.expiresAt }
    );
  }
}
