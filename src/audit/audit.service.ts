import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { mapPage, Page, paginate } from '../common/pagination/page';
import { ListAuditLogsDto } from './dto/list-audit-logs.dto';
import { AuditLogDto } from './dto/audit-log.dto';
import { AuditAction } from './audit-actions';
import { INSERT_AUDIT_RECORD } from './audit.sql';
import { AuditLog, AuditOutcome } from './entities/audit-log.entity';

export interface AuditEntry {
  action: AuditAction;
  outcome?: AuditOutcome;
  actorId?: string | null;
  resourceType?: string | null;
  resourceId?: string | null;
  client?: ClientContext | null;
  details?: Record<string, unknown>;
}

@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditLog) private readonly logs: Repository<AuditLog>) {}

  /**
   * Appends one record. Pass the caller's transaction manager so the record commits (or rolls
   * back) with the change it describes. A request made with an API key (or an agent token) says
   * so in the details: the client's credential is added to them (ClientContext).
   */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    await (manager ?? this.logs.manager).query(INSERT_AUDIT_RECORD, [
      entry.action,
      entry.outcome ?? 'success',
      entry.actorId ?? null,
      entry.resourceType ?? null,
      entry.resourceId ?? null,
      entry.client?.ipAddress ?? null,
      entry.client?.userAgent ?? null,
      entry.client?.requestId ?? null,
      // Secrets among the details are redacted by the statement itself (auditInsert).
      JSON.stringify({ ...entry.details, ...entry.client?.credential }),
    ]);
  }

  async list(query: ListAuditLogsDto): Promise<Page<AuditLogDto>> {
    const qb = this.logs.createQueryBuilder('log');
    const filters: [keyof ListAuditLogsDto & keyof AuditLog, string][] = [
      ['action', 'action'],
      ['actorId', 'actorId'],
      ['resourceType', 'resourceType'],
      ['resourceId', 'resourceId'],
      ['outcome', 'outcome'],
    ];
    for (const [param, property] of filters) {
      if (query[param] !== undefined) {
        qb.andWhere(`log.${property} = :${param}`, { [param]: query[param] });
      }
    }
    if (query.from) qb.andWhere('log.timestamp >= :from', { from: query.from });
    if (query.to) qb.andWhere('log.timestamp < :to', { to: query.to });
    return mapPage(await paginate(qb, query, 'timestamp'), AuditLogDto.from);
  }
}
