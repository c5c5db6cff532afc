import { BadRequestException } from '@nestjs/common';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { ListQueryDto } from './list-query.dto';

export interface Page<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
  nextCursor: string | null;
}

interface CursorPosition {
  at: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Exactly what Date#toISOString writes for the years PostgreSQL and JavaScript share (1-9999). */
const ISO_INSTANT = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Cursors are made by encodeCursor: anything else, however plausible, was not made by this API. */
function isCursorInstant(at: unknown): at is string {
  return typeof at === 'string' && ISO_INSTANT.test(at) && new Date(at).toISOString() === at;
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

function decodeCursor(cursor: string): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (isCursorInstant(at) && typeof id === 'string' && UUID.test(id)) {
      return { at, id };
    }
  } catch {
    // fall through to the refusal below
  }
  throw new BadRequestException('cursor is not a nextCursor this API returned.');
}

/**
 * Newest-first pagination over (time column, id). The cursor carries the last row's position, so the
 * next page is a keyset seek and costs the same however deep it is. Time columns are stored with
 * millisecond precision, which a JavaScript Date carries exactly.
 */
export async function paginate<E extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<E>,
  query: ListQueryDto,
  timeProperty: keyof E & string,
): Promise<Page<E>> {
  const alias = qb.alias;
  const total = await qb.clone().getCount();
  if (query.cursor) {
    const position = decodeCursor(query.cursor);
    qb.andWhere(`(${alias}.${timeProperty}, ${alias}.id) < (:cursorAt, :cursorId)`, {
      cursorAt: position.at,
      cursorId: position.id,
    });
  }
  const rows = await qb
    .orderBy(`${alias}.${timeProperty}`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .offset(query.skip)
    .limit(query.limit + 1)
    .getMany();
  const hasMore = rows.length > query.limit;
  const items = hasMore ? rows.slice(0, query.limit) : rows;
  const last = items[items.length - 1];
  return {
    items,
    total,
    skip: query.skip,
    limit: query.limit,
    nextCursor:
      hasMore && last
        ? encodeCursor({ at: (last[timeProperty] as Date).toISOString(), id: last.id })
        : null,
  };
}

export function mapPage<E, R>(page: Page<E>, map: (item: E) => R): Page<R> {
  return { ...page, items: page.items.map(map) };
}
