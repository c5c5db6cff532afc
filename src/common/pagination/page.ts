import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { ListQueryDto } from './list-query.dto';

export interface Page<T> {
  items: T[];
  total: number;
  skip: number;
  limit: number;
  nextCursor: string | null;
}

/** Where a page ends: the sort time (ISO-8601, milliseconds) and id of its last item. */
export interface CursorPosition {
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

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

/** The position a nextCursor holds; a 400 for anything this API did not hand out. */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (isCursorInstant(at) && typeof id === 'string' && UUID.test(id)) {
      return { at, id };
    }
  } catch {
    // fall through to the refusal below
  }
  throw new CommonError(
    CommonErrorCode.InvalidCursor,
    'cursor is not a nextCursor this API returned.',
  );
}

/**
 * Newest-first pagination over (time column, id). The cursor carries the last row's position, so the
 * next page is a keyset seek and costs the same however deep it is. Time columns are stored with
 * millisecond precision, which a JavaScript Date carries exactly.
 *
 * A page reached by skip (OFFSET) is found first among ids alone, then only its rows are read: with
 * an index on the filter and sort columns the skipped rows are walked in the index (an index-only
 * scan where the table is vacuumed), never fetched from the table.
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
  if (query.skip > 0) {
    const page = qb
      .clone()
      .select(`${alias}.id`)
      .orderBy(`${alias}.${timeProperty}`, 'DESC')
      .addOrderBy(`${alias}.id`, 'DESC')
      .offset(query.skip)
      .limit(query.limit + 1);
    qb.andWhere(`${alias}.id IN (${page.getQuery()})`);
  }
  const rows = await qb
    .orderBy(`${alias}.${timeProperty}`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .limit(query.limit + 1)
    .getMany();
  return pageOf(rows, total, query, (row) => ({
    at: (row[timeProperty] as Date).toISOString(),
    id: row.id,
  }));
}

/**
 * A page from up to limit + 1 rows read in order (the extra row only says whether there is a next
 * page) and the total; `position` gives the cursor of an item.
 */
export function pageOf<T>(
  rows: T[],
  total: number,
  query: Pick<ListQueryDto, 'skip' | 'limit'>,
  position: (item: T) => CursorPosition,
): Page<T> {
  const hasMore = rows.length > query.limit;
  const items = hasMore ? rows.slice(0, query.limit) : rows;
  const last = items[items.length - 1];
  return {
    items,
    total,
    skip: query.skip,
    limit: query.limit,
    nextCursor: hasMore && last ? encodeCursor(position(last)) : null,
  };
}

export function mapPage<E, R>(page: Page<E>, map: (item: E) => R): Page<R> {
  return { ...page, items: page.items.map(map) };
}
