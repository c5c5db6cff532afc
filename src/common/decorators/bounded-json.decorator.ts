import { ValidateBy, ValidationOptions } from 'class-validator';
import { jsonDepth } from '../json';

export interface JsonBounds {
  /** Largest size of the value serialised as JSON, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting (jsonDepth: an empty object is 1). */
  maxDepth: number;
}

/**
 * A JSON object (not an array) of bounded size and nesting: such values are stored in jsonb and
 * read back (or sent on) whole, so one client cannot bloat every later read.
 */
export function BoundedJson(bounds: JsonBounds, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'boundedJson',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value)) <= bounds.maxBytes &&
          jsonDepth(value) <= bounds.maxDepth,
        defaultMessage: (args) =>
          `${args?.property} must be a JSON object of at most ${bounds.maxBytes} bytes and ${bounds.maxDepth} levels`,
      },
    },
    options,
  );
}
