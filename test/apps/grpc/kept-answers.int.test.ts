// Answers kept in memory (GetAlbumList, ListAlbums, GetAlbum) are never staler than the table: a
// call that begins after a write's commit returned sees the write, also while the server is
// losing or regaining the connection it hears of changes on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@connectrpc/connect';
import { createSql } from '../../../src/adapters/db/client.ts';
import { MusicService } from '../../../src/gen/service/music_pb.js';
import { config, idBlock, uniqueName, waitFor } from '../../support/stack.ts';
import { serverForFile } from './harness.ts';

// An application name of its own: the test finds the server's listening connection by it.
const applicationName = uniqueName('kept-answers');
const sql = createSql({ url: config.DATABASE_URL, max: 4, applicationName });
const server = serverForFile(sql);
const ids = idBlock(200);
const artist = uniqueName('kept');

/** What a call that began now answers about `id`, by each unary read. */
async function seen(music: Client<typeof MusicService>, id: number) {
  const [list, page, one] = await Promise.all([
    music.getAlbumList({}),
    music.listAlbums({ artist, pageSize: 500 }),
    music.getAlbum({ id }).then(
      (a) => a.title,
      () => null,
    ),
  ]);
  return {
    inList: list.albums.find((a) => a.id === id)?.title ?? null,
    inPage: page.albums.find((a) => a.id === id)?.title ?? null,
    one,
  };
}

const absent = { inList: null, inPage: null, one: null };
const present = (title: string) => ({ inList: title, inPage: title, one: title });

test('a call that begins after a store or a delete committed sees it, with answers kept in between', async (t) => {
  t.after(() => sql`delete from music.albums where id = any(${ids}::int4[])`);
  const music = server().client(MusicService);
  for (const [i, id] of ids.slice(0, 30).entries()) {
    // Kept answers for this generation, before the write.
    assert.deepEqual(await seen(music, id), absent);
    assert.deepEqual(await seen(music, id), absent);
    await sql`insert into music.albums (id, title, artist, price) values (${id}, ${`v${i}`}, ${artist}, 1)`;
    assert.deepEqual(await seen(music, id), present(`v${i}`), `store ${i} seen at once`);
    await sql`update music.albums set title = ${`w${i}`} where id = ${id}`;
    assert.deepEqual(await seen(music, id), present(`w${i}`), `update ${i} seen at once`);
    if (i % 2 === 0) {
      await sql`delete from music.albums where id = ${id}`;
      assert.deepEqual(await seen(music, id), absent, `delete ${i} seen at once`);
    }
  }
});

test('no stale answer while the listening connection is lost and after it listens again', async (t) => {
  t.after(() => sql`delete from music.albums where id = any(${ids}::int4[])`);
  const music = server().client(MusicService);
  const listeners = () =>
    sql<{ pid: number }[]>`
      select pid from pg_stat_activity
      where application_name = ${applicationName} and (query ilike 'listen%' or query = 'select 1')
        and pid <> pg_backend_pid()`;
  const [first] = await waitFor('the server listening', async () => {
    const rows = await listeners();
    return rows.length > 0 ? rows : undefined;
  });
  assert.ok(first);
  for (const [i, id] of ids.slice(100, 110).entries()) {
    assert.deepEqual(await seen(music, id), absent);
    if (i === 0) await sql`select pg_terminate_backend(${first.pid})`;
    // Written while nobody hears of it: the server must not answer from what it kept.
    await sql`insert into music.albums (id, title, artist, price) values (${id}, ${`x${i}`}, ${artist}, 1)`;
    assert.deepEqual(await seen(music, id), present(`x${i}`), `store ${i} seen after the loss`);
  }
  await waitFor('the server listening again', async () => {
    const rows = await listeners();
    return rows.some((r) => r.pid !== first.pid) ? true : undefined;
  });
  const [id] = ids.slice(150) as [number];
  assert.deepEqual(await seen(music, id), absent);
  assert.deepEqual(await seen(music, id), absent);
  await sql`insert into music.albums (id, title, artist, price) values (${id}, 'again', ${artist}, 1)`;
  assert.deepEqual(await seen(music, id), present('again'), 'seen once listening again');
});
