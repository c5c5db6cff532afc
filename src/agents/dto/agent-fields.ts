import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { BoundedJson } from '../../common/decorators/bounded-json.decorator';
import { TASK_TYPE_PATTERN } from '../../common/task-type';
import { AGENT_PROTOCOLS } from '../entities/agent.entity';

/** The validation and documentation of each writable agent field, shared by create and update. */

export const MAX_CAPABILITIES = 100;
/** A public address (not a name: the policy resolves names, and must find public addresses). */
export const EXAMPLE_ENDPOINT_URL = 'https://93.184.215.14/run';
export const EXAMPLE_AGENT_CONFIG = { model: 'small', language: 'en' };
export const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_CONFIG_DEPTH = 10;

export const NameField = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({
      minLength: 1,
      maxLength: 100,
      description: 'A name for people; not unique',
      example: 'summariser-eu-1',
    }),
    IsString(),
    Length(1, 100),
  );

export const DescriptionField = () =>
  applyDecorators(
    ApiPropertyOptional({
      maxLength: 1000,
      nullable: true,
      type: String,
      description: 'What the agent does, for people',
      example: 'Summarises reports in the EU region',
    }),
    IsString(),
    MaxLength(1000),
  );

const CAPABILITIES_DESCRIPTION =
  'Task types this agent accepts (each 1-100 of letters, digits, . _ : / -)';

export const CapabilitiesField = (required: boolean, note = '') =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({
      type: [String],
      minItems: 1,
      maxItems: MAX_CAPABILITIES,
      uniqueItems: true,
      description: `${CAPABILITIES_DESCRIPTION}${note}`,
      example: ['summarize', 'translate'],
    }),
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(MAX_CAPABILITIES),
    ArrayUnique(),
    IsString({ each: true }),
    MinLength(1, { each: true }),
    MaxLength(100, { each: true }),
    Matches(TASK_TYPE_PATTERN, {
      each: true,
      message: 'each capability may hold only letters, digits, ".", "_", ":", "/" and "-"',
    }),
  );

export const EndpointUrlField = (required: boolean) =>
  applyDecorators(
    (required ? ApiProperty : ApiPropertyOptional)({
      maxLength: 2048,
      format: 'uri',
      example: EXAMPLE_ENDPOINT_URL,
      description:
        'Where tasks are sent (docs/agent-protocol.md): an http(s) URL without credentials; ' +
        'link-local and metadata addresses are refused, non-public ones need the allow-list ' +
        '(AGENT_ENDPOINT_ALLOWLIST)',
    }),
    IsString(),
    Length(1, 2048),
  );

export const ProtocolField = () =>
  applyDecorators(
    ApiPropertyOptional({
      enum: AGENT_PROTOCOLS,
      default: 'http',
      description:
        'How tasks reach the agent: signed HTTP requests, or A2A (endpointUrl is then the A2A base URL; docs/agent-protocol.md, "A2A agents")',
    }),
    IsIn(AGENT_PROTOCOLS),
  );

export const MaxConcurrencyField = () =>
  applyDecorators(
    ApiPropertyOptional({
      minimum: 1,
      maximum: 1000,
      default: 1,
      description: 'Tasks dispatched to the agent at once, at most',
    }),
    IsInt(),
    Min(1),
    Max(1000),
  );

export const ConfigField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'object',
      additionalProperties: true,
      default: {},
      description: `Free-form agent settings, at most ${MAX_CONFIG_BYTES} bytes`,
      example: EXAMPLE_AGENT_CONFIG,
    }),
    IsObject(),
    // Bounded, so one agent cannot bloat every read of the table.
    BoundedJson({ maxBytes: MAX_CONFIG_BYTES, maxDepth: MAX_CONFIG_DEPTH }),
  );
