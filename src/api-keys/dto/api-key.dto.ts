import { ApiProperty } from '@nestjs/swagger';
import { API_KEY_SCOPES, ApiKeyScope } from '../../common/auth/scopes';
import { ApiKey } from '../entities/api-key.entity';

/** An API key as its owner sees it: never the key itself. */
export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'ci-deploy' }) name: string;
  @ApiProperty({
    example: 'ymrk_Xk3aQ9',
    description: 'The start of the key, to recognise it by (not enough to use it)',
  })
  prefix: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, example: ['tasks:read', 'tasks:write'] })
  scopes: ApiKeyScope[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the key stops working; null for never',
  })
  expiresAt: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the key was last used (updated at most about once a minute); null if never',
  })
  lastUsedAt: string | null;

  static from(this: void, key: ApiKey): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      scopes: key.scopes,
      createdAt: key.createdAt.toISOString(),
      expiresAt: key.expiresAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    };
  }
}

/** The create answer: the only time the key is ever shown. */
export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({
    example: 'ymrk_Xk3aQ9pW2vT8mL5nR1cY7bH4dJ6fG0sE9uI3oA2zK8q',
    description:
      'The key: send it as Authorization: Bearer <key>. Shown only in this response; Ymera keeps ' +
      'only its hash.',
  })
  key: string;
}
