import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { FieldError, ProblemDetails } from './problem';

@ApiSchema({ name: 'FieldError', description: 'What is wrong with one field of the request.' })
export class FieldErrorDto implements FieldError {
  @ApiProperty({ maxLength: 200, example: 'username' })
  field: string;

  @ApiProperty({ maxLength: 500, example: 'username must be longer than or equal to 3 characters' })
  message: string;
}

/** The OpenAPI description of every error body (see problem.ts, which produces them). */
@ApiSchema({
  name: 'ProblemDetails',
  description:
    'RFC 9457 problem details, sent as application/problem+json with every error. ' +
    'A 5xx says only that the server failed; quote requestId when reporting it.',
})
export class ProblemDetailsDto implements ProblemDetails {
  @ApiProperty({
    format: 'uri-reference',
    description:
      'Identifies the kind of problem, for clients to switch on: urn:ymera:problem:<code> ' +
      '(x-problem-types and the README\'s "Errors" list each with its status and meaning), or ' +
      '"about:blank" for a failure the status says all about (an unexpected 500). Types may be ' +
      'added: handle one you do not know by its status.',
    example: 'urn:ymera:problem:task-not-found',
  })
  type: string;

  @ApiProperty({
    description: 'Short summary of the kind of problem, the same for every problem of its type.',
    example: 'Task not found',
  })
  title: string;

  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 404 })
  status: number;

  @ApiProperty({
    description: 'What went wrong with this request, for people.',
    example: 'Task not found.',
  })
  detail: string;

  @ApiProperty({
    format: 'uri-reference',
    description: 'The path of the request that failed.',
    example: '/api/v1/tasks/4d6c8c36-7b8a-4c1e-9a57-2a1f0c7e5b10',
  })
  instance: string;

  @ApiProperty({
    description: 'The X-Request-Id of the request, as found in the server logs.',
    example: '0f9b3f7e-3c55-4a8e-9a51-6d2f8e1c4b2a',
  })
  requestId: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description: 'Present on validation failures (400): one entry per invalid field.',
  })
  errors?: FieldErrorDto[];
}
