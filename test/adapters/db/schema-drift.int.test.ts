import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { albums } from '../../../src/adapters/db/orm/schema.ts';
import { testSql } from '../../support/stack.ts';

const sql = testSql(1);
after(() => sql.end());

test('the Drizzle schema matches the migrated table column for column', async () => {
  const rows = await sql<
    {
      column_name: string;
      data_type: string;
      is_nullable: string;
      numeric_precision: number | null;
      numeric_scale: number | null;
    }[]
  >`
    select column_name, data_type, is_nullable, numeric_precision, numeric_scale
    from information_schema.columns where table_schema = 'music' and table_name = 'albums'`;
  const database = new Map(rows.map((r) => [r.column_name, r]));
  const { columns, schema, name } = getTableConfig(albums);
  assert.equal(`${schema}.${name}`, 'music.albums');
  assert.deepEqual([...database.keys()].sort(), columns.map((c) => c.name).sort());
  const pgType: Record<string, string> = {
    integer: 'integer',
    text: 'text',
    numeric: 'numeric',
    bigint: 'bigint',
    timestamp: 'timestamp with time zone',
  };
  for (const column of columns) {
    const actual = database.get(column.name);
    assert.ok(actual, column.name);
    const declared = column.getSQLType().replace(/\(.*$/, '').replace(' with time zone', '');
    assert.equal(actual.data_type, pgType[declared] ?? declared, `type of ${column.name}`);
    assert.equal(actual.is_nullable === 'NO', column.notNull, `nullability of ${column.name}`);
  }
  const price = database.get('price');
  assert.equal(price?.numeric_precision, 10);
  assert.equal(price?.numeric_scale, 2);
});

test('migrations seeded the four original albums with exact prices', async () => {
  const rows = await sql<{ id: number; title: string; artist: string; price: string }[]>`
    select id, title, artist, price from music.albums where id between 1 and 4 order by id`;
  assert.deepEqual(
    rows.map((r) => ({ ...r })),
    [
      { id: 1, title: 'Blue Train', artist: 'John Coltrane', price: '56.99' },
      { id: 2, title: 'Giant Steps', artist: 'John Coltrane', price: '63.99' },
      { id: 3, title: 'Jeru', artist: 'Gerry Mulligan', price: '17.99' },
      { id: 4, title: 'Sarah Vaughan', artist: 'Sarah Vaughan', price: '34.98' },
    ],
  );
});
