import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination/list-query.dto';
import { AUDIT_ACTIONS, AuditAction } from '../audit-actions';
import { AUDIT_OUTCOMES, AuditOutcome } from '../entities/audit-log.entity';

export class ListAuditLogsDto extends ListQueryDto {
  @ApiPropertyOptional({
    enum: AUDIT_ACTIONS,
    example: 'auth.login',
    description: 'Records of this action only; any other value is refused (400)',
  })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'uuid', description: "Records of this user's actions only" })
  @IsOptional()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({
    example: 'user',
    maxLength: 64,
    description: 'Records about this kind of resource only: user, agent or task',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resourceType?: string;

  @ApiPropertyOptional({
    maxLength: 128,
    description: 'Records about this resource only (its id, with resourceType)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  resourceId?: string;

  @ApiPropertyOptional({
    enum: AUDIT_OUTCOMES,
    description: 'Records of this outcome only (a failure is a refused attempt, such as a login)',
  })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES)
  outcome?: AuditOutcome;

  @ApiPropertyOptional({ format: 'date-time', description: 'Records at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Records before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}
