/**
 * An ISO-8601 instant with a time zone (`2026-12-01T09:30:00Z`, `...T10:30:00.250+01:00`), of a
 * year PostgreSQL and JavaScript both hold: what the API takes for a point in time.
 */
export const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Whether `value` is an INSTANT naming a real time. Date.parse alone would take February 30th
 * (as March 2nd): the day is checked against its month.
 */
export function isInstant(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = INSTANT.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return false;
  const [year, month, day] = match.slice(1, 4).map(Number);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}
