import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamAlbums } from '../../../src/adapters/db/album-reads.ts';
import { upsertAlbums } from '../../../src/adapters/db/album-upsert.ts';
import { createAlbumRepository } from '../../../src/adapters/db/orm/album-repository.ts';
import type { AlbumUpsert } from '../../../src/domain/batch.ts';
import { idBlock, testSql } from '../../support/stack.ts';

const sql = testSql(2);
after(() => sql.end());

const change = (id: number, title: string, eventTimeMs: number, offset: number): AlbumUpsert => ({
  album: { id, title, artist: 'SQL test', priceCents: 1999n },
  eventTimeMs: BigInt(eventTimeMs),
  partition: 0,
  offset: BigInt(offset),
});

test('the upsert works on a client that Drizzle also uses', async () => {
  // Drizzle swaps postgres.js's numeric[] serializer; the upsert must not depend on it.
  const repository = createAlbumRepository(sql);
  const [id] = idBlock(1) as [number];
  assert.deepEqual(await upsertAlbums(sql, [change(id, 'Shared', 1000, 1)]), [id]);
  assert.deepEqual(await repository.get(id), {
    id,
    title: 'Shared',
    artist: 'SQL test',
    price: 19.99,
  });
});

test('an older or repeated event changes nothing; a newer one wins', async () => {
  const [id] = idBlock(1) as [number];
  await upsertAlbums(sql, [change(id, 'v2', 2000, 5)]);
  assert.deepEqual(await upsertAlbums(sql, [change(id, 'v1', 1000, 9)]), []);
  assert.deepEqual(await upsertAlbums(sql, [change(id, 'v2', 2000, 5)]), []);
  assert.deepEqual(await upsertAlbums(sql, [change(id, 'v3', 2000, 6)]), [id]);
  const [row] = await sql<{ title: string; event_offset: string }[]>`
    select title, event_offset from music.albums where id = ${id}`;
  assert.deepEqual({ ...row }, { title: 'v3', event_offset: '6' });
});

test('streamAlbums ends cleanly when the last rows and the end of the result arrive together', async () => {
  // When the last rows and the portal's completion came in one reply, postgres.js answers the
  // next fetch with a plain object rather than a promise.
  const ids = idBlock(3);
  const artist = `Stream end ${ids[0]}`;
  await sql`
    insert into music.albums (id, title, artist, price)
    select g, 'Streamed ' || g, ${artist}, 1.5
    from unnest(${ids}::int4[]) as g`;
  for (const chunkRows of [1000, 3, 2]) {
    const seen: number[] = [];
    const chunks = streamAlbums(sql, { artist }, chunkRows, new AbortController().signal);
    for await (const chunk of chunks) {
      seen.push(...chunk.map((a) => a.id));
      // A reader slower than the database, as a gRPC client is: the end has arrived by now.
      await sleep(50);
    }
    assert.deepEqual(seen, ids, `chunks of ${chunkRows}`);
  }
  await sql`delete from music.albums where id = any(${ids}::int4[])`;
});
