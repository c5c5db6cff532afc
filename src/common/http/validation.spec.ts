import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ListQueryDto } from '../pagination/list-query.dto';
import { ValidationFailedException } from './problem';
import { createValidationPipe } from './validation';

class NoteDto {
  @IsString()
  @MaxLength(20)
  title: string;

  @IsOptional()
  @IsInt()
  pages?: number;
}

class ShelfDto {
  @IsEmail()
  @MaxLength(254)
  @IsString()
  owner: string;

  @IsObject()
  @ValidateNested()
  @Type(() => NoteDto)
  note: NoteDto;
}

const body: ArgumentMetadata = { type: 'body', metatype: NoteDto };
const shelf: ArgumentMetadata = { type: 'body', metatype: ShelfDto };

async function errorsOf(value: unknown, metadata: ArgumentMetadata = body) {
  try {
    await createValidationPipe().transform(value, metadata);
  } catch (error) {
    if (error instanceof ValidationFailedException) return error.errors;
    throw error;
  }
  throw new Error('the pipe accepted the value');
}

describe('createValidationPipe', () => {
  it('answers a DTO instance for a valid body', async () => {
    const note = await createValidationPipe().transform({ title: 'ok', pages: 3 }, body);
    expect(note).toBeInstanceOf(NoteDto);
  });

  it('lists every failing field', async () => {
    expect(await errorsOf({ title: 5, pages: 'x' })).toEqual([
      { field: 'title', message: expect.stringContaining('title') },
      { field: 'title', message: expect.stringContaining('title') },
      { field: 'pages', message: 'pages must be an integer number' },
    ]);
  });

  it('says a missing property is required, once, instead of every rule it breaks', async () => {
    expect(await errorsOf({}, shelf)).toEqual([
      { field: 'owner', message: 'owner is required' },
      { field: 'note', message: 'note is required' },
    ]);
  });

  it('says so for a missing property of a nested object too, with its path', async () => {
    expect(await errorsOf({ owner: 'a@example.com', note: { pages: 1 } }, shelf)).toEqual([
      { field: 'note.title', message: 'note.title is required' },
    ]);
  });

  it('lists every rule a present but wrong value breaks, null included', async () => {
    const errors = await errorsOf({ owner: null, note: { title: 'ok' } }, shelf);
    expect(errors.map((e) => e.field)).toEqual(['owner', 'owner', 'owner']);
    expect(errors.map((e) => e.message)).not.toContain('owner is required');
  });

  it('refuses unknown properties (no mass assignment)', async () => {
    expect(await errorsOf({ title: 'ok', role: 'admin' })).toEqual([
      { field: 'role', message: 'property role should not exist' },
    ]);
  });

  it.each([
    ['a body field', { title: 'a\u0000b' }, body, 'title'],
    ['a property name', { title: 'ok', 'x\u0000': 1 }, body, 'x\u0000'],
    ['a query value', { cursor: 'x\u0000' }, { type: 'query', metatype: ListQueryDto }, 'cursor'],
    ['a route parameter', 'a\u0000', { type: 'param', data: 'id', metatype: String }, 'id'],
  ] as [string, unknown, ArgumentMetadata, string][])(
    'refuses a NUL character in %s (PostgreSQL cannot take it)',
    async (_case, value, metadata, field) => {
      expect(await errorsOf(value, metadata)).toEqual([
        { field, message: `${field} must not contain NUL characters` },
      ]);
    },
  );

  it.each([
    ['a body field', { title: '\ud800' }, 'title'],
    ['a free-form object', { title: 'ok', meta: { a: ['x\udfffy'] } }, 'meta.a.0'],
    ['a property name', { title: 'ok', meta: { '\ud83d': 1 } }, 'meta.\ud83d'],
  ])(
    'refuses an unpaired UTF-16 surrogate in %s (PostgreSQL jsonb cannot take it)',
    async (_case, value, field) => {
      expect(await errorsOf(value)).toEqual([
        { field, message: `${field} must be well-formed Unicode (no unpaired surrogates)` },
      ]);
    },
  );

  it('accepts surrogate pairs (characters beyond the BMP)', async () => {
    const note = await createValidationPipe().transform({ title: 'rocket \ud83d\ude80' }, body);
    expect(note).toMatchObject({ title: 'rocket 🚀' });
  });

  it('leaves custom parameter decorators alone', async () => {
    const client = { userAgent: 'x\u0000' };
    await expect(
      createValidationPipe().transform(client, { type: 'custom', metatype: Object }),
    ).resolves.toBe(client);
  });

  it.each([
    [{ skip: '-1' }, 'skip'],
    [{ skip: '1e20' }, 'skip'],
    [{ limit: '0' }, 'limit'],
  ])('refuses list query %j', async (query, field) => {
    const errors = await errorsOf(query, { type: 'query', metatype: ListQueryDto });
    expect(errors.map((e) => e.field)).toEqual([field]);
  });

  it('clamps a list limit over 1000 and keeps defaults', async () => {
    const query = (await createValidationPipe().transform(
      { limit: '5000' },
      { type: 'query', metatype: ListQueryDto },
    )) as ListQueryDto;
    expect(query).toMatchObject({ skip: 0, limit: 1000 });
  });
});
