import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailedException } from './problem';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** The path of the first string holding a NUL character, '' for the value itself, null when none. */
function nulField(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return field;
    const found = nulField(inner, field);
    if (found !== null) return found;
  }
  return null;
}

/**
 * PostgreSQL cannot store or compare text holding NUL ("\u0000"): such a value would reach the
 * database as a query error, a 500 for what is the client's mistake. Refused here for every DTO.
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = nulField(value);
      if (field !== null) {
        const name = field || metadata.data || metadata.type;
        throw new ValidationFailedException([
          { field: name, message: `${name} must not contain NUL characters` },
        ]);
      }
    }
    return super.transform(value, metadata);
  }
}

/** Unknown properties are refused (no mass assignment), values are converted to the DTO's types. */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
  });
}
