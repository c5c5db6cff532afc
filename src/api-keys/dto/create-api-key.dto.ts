import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  ValidateBy,
} from 'class-validator';
import { API_KEY_SCOPES, ApiKeyScope } from '../../common/auth/scopes';
import { isInstant } from '../../common/instant';

/** A time still to come: a key that would be born expired is refused rather than created. */
const FutureInstant = () =>
  ValidateBy({
    name: 'futureInstant',
    validator: {
      validate: (value: unknown) => isInstant(value) && Date.parse(value) > Date.now(),
      defaultMessage: (args) =>
        `${args?.property} must be an ISO-8601 time with a time zone, in the future`,
    },
  });

export class CreateApiKeyDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 100,
    description: 'What the key is for, for people; not unique',
    example: 'ci-deploy',
  })
  @IsString()
  @Length(1, 100)
  name: string;

  @ApiProperty({
    enum: API_KEY_SCOPES,
    isArray: true,
    minItems: 1,
    maxItems: API_KEY_SCOPES.length,
    uniqueItems: true,
    description:
      'What the key may do: agents:read and tasks:read the GET routes of agents and tasks, ' +
      'agents:write and tasks:write the others. Nothing else is open to API keys.',
    example: ['tasks:read', 'tasks:write'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes: ApiKeyScope[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When the key stops working (in the future); never when left out',
    example: '2099-12-31T23:59:59Z',
  })
  @IsOptional()
  @FutureInstant()
  expiresAt?: string;
}

/** The request example of the OpenAPI document: valid as it is, so Swagger UI's try-out succeeds. */
export const CREATE_API_KEY_EXAMPLE: CreateApiKeyDto = {
  name: 'ci-deploy',
  scopes: ['tasks:read', 'tasks:write'],
  expiresAt: '2099-12-31T23:59:59Z',
};
