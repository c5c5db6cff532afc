import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationFailedException } from './problem';

/**
 * One error per broken rule, except for a property that is missing: every rule of a required field
 * fails on undefined ("must be an email", "must be shorter than", "must be a string"), which tells
 * a client less than the one thing it can act on, so that is said instead (README, "Errors").
 * Optional properties (@IsOptional) are never validated when missing, so they never get here.
 */
function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    if (error.value === undefined && error.constraints) {
      return [{ field, message: `${field} is required` }];
    }
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** A UTF-16 surrogate without its other half: text that is not well-formed Unicode. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL cannot store a string, or null when it can. */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (no unpaired surrogates)';
  return null;
}

/**
 * The first string (value or property name) PostgreSQL cannot store, as a field error; '' names
 * the value itself. null when there is none.
 */
function unstorableField(value: unknown, path = ''): FieldError | null {
  if (typeof value === 'string') {
    const message = unstorable(value);
    return message === null ? null : { field: path, message };
  }
  if (value === null || typeof value !== 'object') return null;
  for (const [key, inner] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    const message = unstorable(key);
    if (message !== null) return { field, message };
    const found = unstorableField(inner, field);
    if (found !== null) return found;
  }
  return null;
}

/**
 * PostgreSQL cannot store or compare text holding NUL ("\u0000"), and its jsonb refuses an unpaired
 * UTF-16 surrogate ("\ud800", which JSON can spell): such a value would reach the database as a
 * query error, a 500 for what is the client's mistake. Refused here for every DTO.
 */
class RequestValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const found = unstorableField(value);
      if (found !== null) {
        const field = found.field || metadata.data || metadata.type;
        throw new ValidationFailedException([{ field, message: `${field} ${found.message}` }]);
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
    // The value is kept only to tell a missing property (undefined) from a wrong one; flatten()
    // never puts it in a message.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ValidationFailedException(flatten(errors)),
  });
}
