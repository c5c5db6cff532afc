import { randomUUID } from 'node:crypto';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { RefreshToken } from '../../auth/entities/refresh-token.entity';
import { User } from '../../auth/entities/user.entity';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { ListQueryDto } from './list-query.dto';
import { paginate } from './page';

/**
 * paginate() builds its keyset condition from property names; these tests check, without a
 * database, that the SQL it sends names the columns (created_at, not createdAt) and that the
 * cursor round-trips. The e2e suites run the same code against PostgreSQL.
 */
describe('paginate', () => {
  let dataSource: DataSource;
  const sent: { sql: string; parameters: unknown[] }[] = [];
  let rows: User[] = [];

  beforeAll(async () => {
    dataSource = new DataSource({ type: 'postgres', entities: [User, RefreshToken] });
    // Entity metadata without a connection: enough to build SQL.
    await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
    jest.spyOn(SelectQueryBuilder.prototype, 'getCount').mockImplementation(function (
      this: SelectQueryBuilder<User>,
    ) {
      const [sql, parameters] = this.getQueryAndParameters();
      sent.push({ sql, parameters });
      return Promise.resolve(rows.length);
    });
    jest.spyOn(SelectQueryBuilder.prototype, 'getMany').mockImplementation(function (
      this: SelectQueryBuilder<User>,
    ) {
      const [sql, parameters] = this.getQueryAndParameters();
      sent.push({ sql, parameters });
      return Promise.resolve(rows as never[]);
    });
  });

  afterAll(() => jest.restoreAllMocks());

  beforeEach(() => {
    sent.length = 0;
    rows = [];
  });

  function query(values: Partial<ListQueryDto>): ListQueryDto {
    return Object.assign(new ListQueryDto(), values);
  }

  function user(createdAt: string): User {
    return Object.assign(new User(), { id: randomUUID(), createdAt: new Date(createdAt) });
  }

  const builder = () => dataSource.getRepository(User).createQueryBuilder('user');

  it('orders newest first by the column of the time property, then by id', async () => {
    await paginate(builder(), query({ limit: 2 }), 'createdAt');
    const select = sent[1].sql;
    expect(select).toMatch(/ORDER BY "user"\."created_at" DESC, "user"\."id" DESC/);
    expect(select).toMatch(/LIMIT 3$/);
  });

  it('finds a page reached by skip among ids first, then reads only its rows', async () => {
    await paginate(builder(), query({ limit: 2, skip: 500 }), 'createdAt');
    const select = sent[1].sql;
    const inner = /"user"\."id" IN \((SELECT .*?LIMIT 3 OFFSET 500)\)/.exec(select);
    expect(inner).not.toBeNull();
    expect(inner![1]).toMatch(/^SELECT "user"\."id" AS "user_id" FROM "users" "user"/);
    // (TypeORM names the selected id by its output name, "user_id", in ORDER BY.)
    expect(inner![1]).toMatch(/ORDER BY "user"\."created_at" DESC, ("user"\."id"|"user_id") DESC/);
    // The outer query reads the page's rows only: no OFFSET of its own.
    expect(select.replace(inner![1], '')).not.toContain('OFFSET');
    expect(select).toMatch(/LIMIT 3$/);
  });

  it('seeks past the cursor position by column names in a row comparison', async () => {
    rows = [user('2026-01-01T00:00:03.000Z'), user('2026-01-01T00:00:02.000Z')];
    rows.push(user('2026-01-01T00:00:01.000Z'));
    const first = await paginate(builder(), query({ limit: 2 }), 'createdAt');
    expect(first.items).toEqual(rows.slice(0, 2));
    expect(first.nextCursor).toEqual(expect.any(String));

    sent.length = 0;
    rows = [];
    await paginate(builder(), query({ limit: 2, cursor: first.nextCursor! }), 'createdAt');
    const select = sent.find((s) => s.sql.includes('ORDER BY'))!;
    expect(select.sql).toContain('("user"."created_at", "user"."id") < ($1, $2)');
    expect(select.sql).not.toContain('createdAt');
    expect(select.parameters).toEqual(['2026-01-01T00:00:02.000Z', first.items[1].id]);
  });

  it('counts without the cursor, so total is the whole filtered list', async () => {
    const cursor = Buffer.from(JSON.stringify([new Date().toISOString(), randomUUID()]));
    await paginate(builder(), query({ cursor: cursor.toString('base64url') }), 'createdAt');
    const count = sent.find((s) => !s.sql.includes('ORDER BY'))!;
    expect(count.sql).not.toContain('<');
  });

  it('answers nextCursor null on the last page', async () => {
    rows = [user('2026-01-01T00:00:01.000Z')];
    const page = await paginate(builder(), query({ limit: 1 }), 'createdAt');
    expect(page).toEqual({ items: rows, total: 1, skip: 0, limit: 1, nextCursor: null });
  });

  it.each([
    ['not base64 JSON', 'nope'],
    ['JSON of another shape', Buffer.from('{"at":1}').toString('base64url')],
    ['a bad id', Buffer.from('["2026-01-01T00:00:00.000Z","x"]').toString('base64url')],
    ['a bad time', Buffer.from(`["later","${randomUUID()}"]`).toString('base64url')],
    // Times JavaScript parses but PostgreSQL refuses, or that no cursor of ours ever holds.
    ['a bare number as time', Buffer.from(`["1","${randomUUID()}"]`).toString('base64url')],
    ['year 0', Buffer.from(`["0000-01-01T00:00:00.000Z","${randomUUID()}"]`).toString('base64url')],
    [
      'an expanded year',
      Buffer.from(`["+275760-09-13T00:00:00.000Z","${randomUUID()}"]`).toString('base64url'),
    ],
    ['a date without time', Buffer.from(`["2026-01-01","${randomUUID()}"]`).toString('base64url')],
    [
      'an impossible date',
      Buffer.from(`["2026-02-30T00:00:00.000Z","${randomUUID()}"]`).toString('base64url'),
    ],
  ])('refuses a cursor that is %s with a 400', async (_case, cursor) => {
    const refused = paginate(builder(), query({ cursor }), 'createdAt');
    await expect(refused).rejects.toBeInstanceOf(CommonError);
    await expect(refused).rejects.toMatchObject({ code: CommonErrorCode.InvalidCursor });
  });
});
