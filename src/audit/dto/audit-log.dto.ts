import { ApiProperty } from '@nestjs/swagger';
import { JsonObject } from '../../common/json';
import { AUDIT_ACTIONS } from '../audit-actions';
import { AUDIT_OUTCOMES, AuditLog, AuditOutcome } from '../entities/audit-log.entity';

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actorId: string | null;
  @ApiProperty({
    enum: AUDIT_ACTIONS,
    example: 'auth.login',
    description: 'What happened; a later release may add actions, so expect others',
  })
  action: string;
  @ApiProperty({ nullable: true, type: String, example: 'user' }) resourceType: string | null;
  @ApiProperty({ nullable: true, type: String }) resourceId: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES }) outcome: AuditOutcome;
  @ApiProperty({ nullable: true, type: String, example: '203.0.113.7' }) ipAddress: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: JsonObject;

  static from(this: void, log: AuditLog): AuditLogDto {
    return {
      id: log.id,
      timestamp: log.timestamp.toISOString(),
      actorId: log.actorId,
      action: log.action,
      resourceType: log.resourceType,
      resourceId: log.resourceId,
      outcome: log.outcome,
      ipAddress: log.ipAddress,
      userAgent: log.userAgent,
      requestId: log.requestId,
      details: log.details,
    };
  }
}
