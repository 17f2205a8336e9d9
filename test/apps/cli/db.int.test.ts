// `music db list|get|insert` straight against the run's database.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { idBlock, testSql, uniqueName } from '../../support/stack.ts';
import { assertFailure, music, musicJson } from './support.ts';

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

const sql = testSql(1);
after(() => sql.end({ timeout: 5 }));

async function row(id: number) {
  const [found] = await sql<{ title: string; artist: string; price: string }[]>`
    select title, artist, price::text as price from music.albums where id = ${id}`;
  return found ? { ...found } : undefined;
}

test('db insert --id: stores the album through the ORM and prints it', async () => {
  const [id] = idBlock(1) as [number];
  const artist = uniqueName('db-artist');
  const printed = await musicJson<Album>([
    'db',
    'insert',
    '--id',
    String(id),
    '--title',
    ' Kind of Blue ',
    '--artist',
    artist,
    '--price',
    '29.99',
  ]);
  assert.deepEqual(printed, { id, title: 'Kind of Blue', artist, price: 29.99 });
  assert.deepEqual(await row(id), { title: 'Kind of Blue', artist, price: '29.99' });
});

test('db insert rounds a price as every other path does: 1.005 is stored as 1.01', async () => {
  const [id] = idBlock(1) as [number];
  const artist = uniqueName('db-round');
  const args = ['db', 'insert', '--id', String(id), '--title', 'Half', '--artist', artist];
  const printed = await musicJson<Album>([...args, '--price', '1.005']);
  assert.equal(printed.price, 1.01);
  assert.equal((await row(id))?.price, '1.01', 'not 1.00, as toFixed(2) of the double would give');
});

test('db insert without --id takes a new id from the sequence', async () => {
  const artist = uniqueName('db-seq');
  const run = await music(['db', 'insert', '--title', 'Seq', '--artist', artist, '--price', '1']);
  assert.equal(run.code, 0, run.stderr);
  const [stored] = await sql<{ id: number }[]>`
    select id from music.albums where artist = ${artist}`;
  assert.ok(stored && stored.id >= 101, 'a row with an allocated id');
  assert.match(
    run.stdout,
    new RegExp(`^stored\\n.*\\n\\s*${stored.id}\\s+Seq\\s+${artist}\\s+1\\.00\\n1 album\\n$`),
  );
  const [next] = await sql<{ id: number }[]>`select nextval('music.album_id_seq')::int4 as id`;
  assert.ok(next && next.id > stored.id, 'the id came from the sequence');
});

test('db insert: an invalid album is one line naming the field, exit 2, nothing stored', async () => {
  const [id] = idBlock(1) as [number];
  const run = await music([
    'db',
    'insert',
    '--id',
    String(id),
    '--title',
    'x'.repeat(201),
    '--artist',
    'A',
    '--price',
    '1',
  ]);
  assertFailure(run, 2, /^music: invalid album: title: /);
  assert.equal(await row(id), undefined);
});

test('db get: one album through the ORM; a missing one is one line and exit 3', async () => {
  const [id] = idBlock(1) as [number];
  await sql`insert into music.albums (id, title, artist, price) values (${id}, 'Get', 'ORM', 7.5)`;
  assert.deepEqual(await musicJson<Album>(['db', 'get', String(id)]), {
    id,
    title: 'Get',
    artist: 'ORM',
    price: 7.5,
  });
  const run = await music(['db', 'get', '2147483647']);
  assertFailure(run, 3, /^music: album 2147483647 does not exist$/);
});

test('db list: every album with raw SQL, as JSON and as a table', async () => {
  const ids = idBlock(2);
  const artist = uniqueName('db-list');
  for (const id of ids) {
    await sql`insert into music.albums (id, title, artist, price) values (${id}, 'Listed', ${artist}, 3.1)`;
  }
  const listed = await musicJson<Album[]>(['db', 'list']);
  assert.deepEqual(
    listed.filter((a) => a.artist === artist),
    ids.map((id) => ({ id, title: 'Listed', artist, price: 3.1 })),
  );
  const [count] = await sql<{ n: number }[]>`select count(*)::int4 as n from music.albums`;
  assert.equal(listed.length, count?.n, 'the whole table');

  const run = await music(['db', 'list']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`\\n\\s*${ids[1]}\\s+Listed\\s+${artist}\\s+3\\.10\\n`));
});

test('db: no database answering is one line naming it without the password, exit 4', async () => {
  // `db list` reads as the reader: the one URL, as the run's own per-use URLs are cleared.
  const run = await music(['db', 'list'], {
    DATABASE_URL: 'postgres://music:secret@127.0.0.1:1/music',
    DATABASE_MIGRATE_URL: '',
    DATABASE_WRITE_URL: '',
    DATABASE_READ_URL: '',
  });
  assertFailure(
    run,
    4,
    /^music: cannot reach PostgreSQL at postgres:\/\/music:\*\*\*@127\.0\.0\.1:1\/music \(ECONNREFUSED\)$/,
  );
});
