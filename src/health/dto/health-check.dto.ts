import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';

@ApiSchema({ name: 'HealthIndicator', description: 'The state of one dependency.' })
export class HealthIndicatorDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status: 'up' | 'down';

  @ApiPropertyOptional({ description: 'Why the dependency is down.', example: 'timeout' })
  message?: string;
}

const INDICATORS = {
  type: 'object',
  additionalProperties: { $ref: getSchemaPath(HealthIndicatorDto) },
} as const;

/** Terminus' own body, which probes and dashboards read (not problem details, even on 503). */
@ApiSchema({
  name: 'HealthCheck',
  description: 'Readiness of the process and of each dependency it needs.',
})
export class HealthCheckDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], example: 'ok' })
  status: 'ok' | 'error' | 'shutting_down';

  @ApiPropertyOptional({
    ...INDICATORS,
    description: 'Dependencies that are up.',
    example: { database: { status: 'up' }, redis: { status: 'up' }, queue: { status: 'up' } },
  })
  info?: Record<string, HealthIndicatorDto>;

  @ApiPropertyOptional({
    ...INDICATORS,
    description: 'Dependencies that are down.',
    example: {},
  })
  error?: Record<string, HealthIndicatorDto>;

  @ApiProperty({
    ...INDICATORS,
    description: 'Every dependency, up or down.',
    example: { database: { status: 'up' }, redis: { status: 'up' }, queue: { status: 'up' } },
  })
  details: Record<string, HealthIndicatorDto>;
}

@ApiSchema({ name: 'Liveness', description: 'The process is running.' })
export class LivenessDto {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status: 'ok';
}
