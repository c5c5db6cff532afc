import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../common/decorators/roles.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { Page } from '../common/pagination/page';
import { AuditService } from './audit.service';
import { AuditLogDto } from './dto/audit-log.dto';
import { ListAuditLogsDto } from './dto/list-audit-logs.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('admin')
@Controller({ path: 'audit-logs', version: '1' })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    summary: 'List audit records',
    description:
      'The append-only audit trail, newest first: who did what, to which resource, from where, ' +
      'with what outcome (secrets redacted). Admins only (403 role-required otherwise); filtered ' +
      'by action, actorId, resourceType, resourceId, outcome and time, paged by skip or cursor.',
  })
  @ApiPage(AuditLogDto, 'Audit records, newest first (admin only)')
  list(@Query() query: ListAuditLogsDto): Promise<Page<AuditLogDto>> {
    return this.audit.list(query);
  }
}
