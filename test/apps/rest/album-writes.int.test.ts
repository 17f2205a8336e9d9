// The REST write path end to end: app.inject → the REST runtime's publisher → real topic → the
// consumer runtime → real PostgreSQL. Each test has its own topic and consumer group.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromBinary } from '@bufbuild/protobuf';
import type { Sql } from '../../../src/adapters/db/client.ts';
import type { RestApp } from '../../../src/apps/rest/app.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { AlbumSchema } from '../../../src/gen/service/music_pb.js';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  config,
  configWith,
  freshTopics,
  idBlock,
  log,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { recordCount, startConsumer } from '../consumer/support.ts';

interface Row {
  id: number;
  title: string;
  artist: string;
  price: string;
}

async function rowOf(sql: Sql, id: number): Promise<Row | undefined> {
  const [row] = await sql<Row[]>`
    select id, title, artist, price::text as price from music.albums where id = ${id}`;
  return row ? { ...row } : undefined;
}

/** Waits until the row of `id` equals `want` (the consumer writes asynchronously). */
async function waitForRow(sql: Sql, want: Row): Promise<void> {
  let last: Row | undefined;
  await waitFor(`row ${want.id} to become ${JSON.stringify(want)}`, async () => {
    last = await rowOf(sql, want.id);
    return last && JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
  }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
  });
  assert.deepEqual(await rowOf(sql, want.id), want);
}

interface Stack {
  readonly app: RestApp;
  readonly topic: string;
  readonly sql: Sql;
}

/**
 * The REST runtime on a fresh topic; with `consume`, a consumer runtime (own group) writes the
 * topic into PostgreSQL. Both are what src/apps/{rest,consumer}/main.ts start.
 */
async function startStack(
  t: TestContext,
  label: string,
  o: { consume: boolean; brokers?: readonly string[]; timeoutMs?: number },
): Promise<Stack> {
  const { topic, dlq } = await freshTopics(label);
  const defer = cleanupStack(t);
  const sql = testSql();
  defer(() => sql.end({ timeout: 5 }));
  const settings = configWith({
    KAFKA_BROKERS: o.brokers ?? config.KAFKA_BROKERS,
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_CLIENT_ID: uniqueName(label),
    PRODUCE_TIMEOUT_MS: o.timeoutMs ?? 10_000,
  });
  const rest = await createRestRuntime(settings, { log, createTopics: false });
  defer(() => rest.close());
  // Stopped after the REST API (a hook of its own, added later); one that failed fails the test.
  if (o.consume) {
    startConsumer(t, {
      client: 'platformatic',
      topic,
      dlq,
      groupId: uniqueName(`${label}-group`),
      batchSize: 500,
    });
  }
  return { app: rest.app, topic, sql };
}

const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(body),
});

test('POST one album without id: 202 with a new id, one keyed service.Album event, the row lands', async (t) => {
  const { app, topic, sql } = await startStack(t, 'post-one', { consume: true });
  const sent = { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };

  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    ...json(sent),
    headers: { 'content-type': 'application/json', 'x-request-id': 'writes-test-1' },
  });

  assert.equal(res.statusCode, 202, res.body);
  assert.match(res.headers['content-type'] as string, /^application\/json/);
  const body = res.json<{ id: number; title: string; artist: string; price: number }>();
  assert.ok(Number.isInteger(body.id) && body.id >= 101, `allocated id ${body.id}`);
  assert.deepEqual(body, { id: body.id, ...sent });
  assert.equal(res.headers.location, `/api/v1/albums/${body.id}`);
  assert.equal(res.headers['x-request-id'], 'writes-test-1');

  // The 202 came after the broker's acknowledgement, so the record is already there.
  assert.equal(await recordCount(topic), 1);
  const [record] = await readTopic(topic, 1, 60_000);
  assert.ok(record, 'a record on the topic');
  assert.equal(record.key?.toString('utf8'), String(body.id));
  assert.equal(record.headers.get('x-request-id'), 'writes-test-1');
  assert.ok(record.value, 'the record has a value');
  const message = fromBinary(AlbumSchema, record.value);
  assert.equal(message.id, body.id);
  assert.equal(message.title, 'Blue Train');
  assert.equal(message.artist, 'John Coltrane');
  assert.equal(message.priceCents, 5699n);
  assert.equal(message.price, Math.fround(56.99));

  await waitForRow(sql, {
    id: body.id,
    title: 'Blue Train',
    artist: 'John Coltrane',
    price: '56.99',
  });
});

test('POST a batch of 3: 202 with the three albums and distinct ids, all rows land', async (t) => {
  const { app, topic, sql } = await startStack(t, 'post-batch', { consume: true });
  const [given] = idBlock(1);
  assert.ok(given !== undefined);
  const sent = [
    { title: 'Giant Steps', artist: 'John Coltrane', price: 63.99 },
    { id: given, title: 'Jeru', artist: 'Gerry Mulligan', price: 17.99 },
    { title: 'Sarah Vaughan', artist: 'Sarah Vaughan', price: 0.29 },
  ];

  const res = await app.inject({ method: 'POST', url: '/api/v1/albums', ...json(sent) });

  assert.equal(res.statusCode, 202, res.body);
  const body = res.json<{ id: number; title: string; artist: string; price: number }[]>();
  assert.equal(body.length, 3);
  assert.equal(body[1]?.id, given, 'a given id is kept');
  assert.equal(new Set(body.map((a) => a.id)).size, 3, 'ids are distinct');
  body.forEach((album, i) => {
    assert.ok(Number.isInteger(album.id) && album.id > 0);
    assert.deepEqual(album, { ...sent[i], id: album.id });
  });
  assert.equal(await recordCount(topic), 3);

  const prices = ['63.99', '17.99', '0.29'];
  for (const [i, album] of body.entries()) {
    await waitForRow(sql, {
      id: album.id,
      title: album.title,
      artist: album.artist,
      price: prices[i] as string,
    });
  }
});

test('PUT of an existing id replaces the row', async (t) => {
  const { app, topic, sql } = await startStack(t, 'put-update', { consume: true });
  const [id] = idBlock(1);
  assert.ok(id !== undefined);

  const first = await app.inject({
    method: 'PUT',
    url: '/api/v1/album',
    ...json({ id, title: 'Kind of Blue', artist: 'Miles Davis', price: 19.99 }),
  });
  assert.equal(first.statusCode, 202, first.body);
  assert.equal(first.headers.location, `/api/v1/albums/${id}`);
  await waitForRow(sql, { id, title: 'Kind of Blue', artist: 'Miles Davis', price: '19.99' });

  const second = await app.inject({
    method: 'PUT',
    url: '/api/v1/album',
    ...json({ id, title: 'Kind of Blue (Legacy Edition)', artist: 'Miles Davis', price: 24.5 }),
  });
  assert.equal(second.statusCode, 202, second.body);
  assert.deepEqual(second.json(), {
    id,
    title: 'Kind of Blue (Legacy Edition)',
    artist: 'Miles Davis',
    price: 24.5,
  });
  await waitForRow(sql, {
    id,
    title: 'Kind of Blue (Legacy Edition)',
    artist: 'Miles Davis',
    price: '24.50',
  });

  // PUT of a batch replaces by id as well.
  const batch = await app.inject({
    method: 'PUT',
    url: '/api/v1/albums',
    ...json([{ id, title: 'Kind of Blue', artist: 'Miles Davis', price: 9.99 }]),
  });
  assert.equal(batch.statusCode, 202, batch.body);
  await waitForRow(sql, { id, title: 'Kind of Blue', artist: 'Miles Davis', price: '9.99' });
  assert.equal(await recordCount(topic), 3);
});

test('title and artist are trimmed in the answer, the event and the row', async (t) => {
  const { app, topic, sql } = await startStack(t, 'trim', { consume: true });
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/album',
    ...json({ title: '  \tMingus Ah Um \n', artist: '   Charles Mingus  ', price: 12 }),
  });
  assert.equal(res.statusCode, 202, res.body);
  const body = res.json<{ id: number }>();
  assert.deepEqual(body, {
    id: body.id,
    title: 'Mingus Ah Um',
    artist: 'Charles Mingus',
    price: 12,
  });

  const [record] = await readTopic(topic, 1, 60_000);
  assert.ok(record?.value);
  const message = fromBinary(AlbumSchema, record.value);
  assert.equal(message.title, 'Mingus Ah Um');
  assert.equal(message.artist, 'Charles Mingus');
  await waitForRow(sql, {
    id: body.id,
    title: 'Mingus Ah Um',
    artist: 'Charles Mingus',
    price: '12.00',
  });
});

test('valid edge values are accepted and stored verbatim, SQL-looking text included', async (t) => {
  const { app, topic, sql } = await startStack(t, 'verbatim', { consume: true });
  const ids = idBlock(5);
  const sent = [
    { id: ids[0], title: "Robert'); DROP TABLE music.albums;--", artist: "O'Brien", price: 0 },
    { id: ids[1], title: 'x'.repeat(200), artist: '1 OR 1=1; --', price: 99999999.99 },
    { id: ids[2], title: '%_\\ 💿 ünïcödé', artist: 'Ørjan Ñandú', price: 0.01 },
    // Above a few million, a quotient by 0.01 is no longer within 1e-9 of a whole number.
    { id: 2147483647, title: 'Highest id', artist: 'Edge Case', price: 8492984.86 },
    // 200 characters of 4 UTF-8 bytes (400 UTF-16 units) each: every layer counts characters.
    { id: ids[3], title: '💿'.repeat(200), artist: '\u0001\t\'"\\;--', price: 0.29 },
  ];
  const res = await app.inject({ method: 'PUT', url: '/api/v1/albums', ...json(sent) });
  assert.equal(res.statusCode, 202, res.body);
  assert.deepEqual(res.json(), sent);
  assert.equal(await recordCount(topic), 5);

  const prices = ['0.00', '99999999.99', '0.01', '8492984.86', '0.29'];
  for (const [i, album] of sent.entries()) {
    await waitForRow(sql, {
      id: album.id as number,
      title: album.title,
      artist: album.artist,
      price: prices[i] as string,
    });
  }
  const [tables] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_tables where schemaname = 'music' and tablename = 'albums'`;
  assert.equal(tables?.n, 1, 'music.albums is still there');
});

interface InvalidCase {
  readonly name: string;
  readonly method?: 'POST' | 'PUT';
  readonly url?: string;
  /** Sent as JSON unless `payload` is given. */
  readonly body?: unknown;
  readonly payload?: string | Buffer;
  /** The content-type header; null sends none. */
  readonly contentType?: string | null;
  readonly status: 400 | 413 | 415;
  /** The JSON pointers the problem must name, exactly; omitted when no field is to blame. */
  readonly pointers?: readonly string[];
}

const ok = { title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
const many = (n: number) => Array.from({ length: n }, (_, i) => ({ ...ok, title: `Album ${i}` }));
/** A valid album's JSON with `bytes` in the middle of its title. */
const titleBytes = (...bytes: number[]) =>
  Buffer.concat([
    Buffer.from('{"title":"Blue'),
    Buffer.from(bytes),
    Buffer.from('Train","artist":"John Coltrane","price":56.99}'),
  ]);
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const INVALID: readonly InvalidCase[] = [
  // Not JSON, or not an album at all.
  { name: 'broken JSON', payload: '{"title": "Blue Train", ', status: 400 },
  { name: 'empty body', payload: '', status: 400 },
  { name: 'only whitespace', payload: ' \n\t ', status: 400 },
  { name: 'JSON null', payload: 'null', status: 400 },
  { name: 'a bare JSON string', payload: '"Blue Train"', status: 400 },
  { name: 'a bare JSON number', payload: '42', status: 400 },
  { name: 'a __proto__ key', payload: `{"__proto__":{"admin":true},"title":"T"}`, status: 400 },
  {
    name: 'a constructor.prototype key',
    payload: `{"constructor":{"prototype":{"admin":true}},"title":"T"}`,
    status: 400,
  },
  // Wrong types.
  { name: 'title is a number', body: { ...ok, title: 42 }, status: 400, pointers: ['/title'] },
  { name: 'artist is null', body: { ...ok, artist: null }, status: 400, pointers: ['/artist'] },
  { name: 'price is a string', body: { ...ok, price: '56.99' }, status: 400, pointers: ['/price'] },
  { name: 'price is a boolean', body: { ...ok, price: true }, status: 400, pointers: ['/price'] },
  {
    name: 'price is an object',
    body: { ...ok, price: { amount: 56.99 } },
    status: 400,
    pointers: ['/price'],
  },
  {
    name: 'two wrong fields are both named',
    body: { title: [], artist: {}, price: 1 },
    status: 400,
    pointers: ['/title', '/artist'],
  },
  // Missing and empty fields.
  { name: 'missing title', body: { artist: 'A', price: 1 }, status: 400, pointers: ['/title'] },
  { name: 'missing artist', body: { title: 'T', price: 1 }, status: 400, pointers: ['/artist'] },
  // A missing price is 0 (protobuf's JSON mapping); title and artist stay required.
  { name: 'an empty object', body: {}, status: 400, pointers: ['/title', '/artist'] },
  { name: 'only a price', body: { price: 1 }, status: 400, pointers: ['/title', '/artist'] },
  { name: 'empty title', body: { ...ok, title: '' }, status: 400, pointers: ['/title'] },
  { name: 'empty artist', body: { ...ok, artist: '' }, status: 400, pointers: ['/artist'] },
  {
    name: 'whitespace-only title',
    body: { ...ok, title: ' \t\n ' },
    status: 400,
    pointers: ['/title'],
  },
  {
    name: 'whitespace-only artist',
    body: { ...ok, artist: '   ' },
    status: 400,
    pointers: ['/artist'],
  },
  // Prices: negative (before rounding), huge, not finite. Finer than cents is rounded, not refused.
  { name: 'negative price', body: { ...ok, price: -0.01 }, status: 400, pointers: ['/price'] },
  { name: 'price -0.004', body: { ...ok, price: -0.004 }, status: 400, pointers: ['/price'] },
  {
    name: 'price 99999999.995 (rounds past the largest)',
    body: { ...ok, price: 99999999.995 },
    status: 400,
    pointers: ['/price'],
  },
  { name: 'price 100000000', body: { ...ok, price: 1e8 }, status: 400, pointers: ['/price'] },
  { name: 'price 1e308', body: { ...ok, price: 1e308 }, status: 400, pointers: ['/price'] },
  {
    name: 'price 1e309 (Infinity once parsed)',
    payload: '{"title":"T","artist":"A","price":1e309}',
    status: 400,
    pointers: ['/price'],
  },
  {
    name: 'price -1e309 (-Infinity once parsed)',
    payload: '{"title":"T","artist":"A","price":-1e309}',
    status: 400,
    pointers: ['/price'],
  },
  { name: 'price null', body: { ...ok, price: null }, status: 400, pointers: ['/price'] },
  // Ids: out of range, not numbers.
  { name: 'id 0', body: { ...ok, id: 0 }, status: 400, pointers: ['/id'] },
  { name: 'id -2147483649', body: { ...ok, id: -2147483649 }, status: 400, pointers: ['/id'] },
  { name: 'PUT with id 0', method: 'PUT', body: { ...ok, id: 0 }, status: 400, pointers: ['/id'] },
  { name: 'id 2147483648', body: { ...ok, id: 2147483648 }, status: 400, pointers: ['/id'] },
  { name: 'id 1e20', body: { ...ok, id: 1e20 }, status: 400, pointers: ['/id'] },
  {
    name: 'id 9007199254740993 (beyond a double)',
    payload: '{"id":9007199254740993,"title":"T","artist":"A","price":1}',
    status: 400,
    pointers: ['/id'],
  },
  { name: 'id 1.5', body: { ...ok, id: 1.5 }, status: 400, pointers: ['/id'] },
  { name: 'id "5" as a string', body: { ...ok, id: '5' }, status: 400, pointers: ['/id'] },
  { name: 'id "abc"', body: { ...ok, id: 'abc' }, status: 400, pointers: ['/id'] },
  { name: 'id null', body: { ...ok, id: null }, status: 400, pointers: ['/id'] },
  { name: 'id true', body: { ...ok, id: true }, status: 400, pointers: ['/id'] },
  // Unknown fields.
  { name: 'unknown field', body: { ...ok, genre: 'jazz' }, status: 400, pointers: ['/genre'] },
  {
    name: 'unknown nested field',
    body: { ...ok, meta: { admin: true } },
    status: 400,
    pointers: ['/meta'],
  },
  // Arrays and objects in the wrong place; one bad item in a batch.
  { name: 'array to the single endpoint', body: [ok], status: 400 },
  { name: 'object to the batch endpoint', url: '/api/v1/albums', body: ok, status: 400 },
  {
    name: 'arrays of arrays to the batch endpoint',
    url: '/api/v1/albums',
    body: [[ok]],
    status: 400,
    pointers: ['/0'],
  },
  {
    name: 'arrays nested 100,000 deep',
    url: '/api/v1/albums',
    payload: nested(100_000),
    status: 400,
  },
  {
    name: 'one bad item rejects the whole batch',
    url: '/api/v1/albums',
    body: [ok, { ...ok, price: -5 }, ok],
    status: 400,
    pointers: ['/1/price'],
  },
  {
    name: 'batch items are trimmed before validation',
    url: '/api/v1/albums',
    body: [ok, ok, { ...ok, title: '   ' }],
    status: 400,
    pointers: ['/2/title'],
  },
  {
    name: 'every negative price of a batch is named',
    url: '/api/v1/albums',
    body: [{ ...ok, price: -0.001 }, ok, { ...ok, price: -3 }],
    status: 400,
    pointers: ['/0/price', '/2/price'],
  },
  { name: 'empty batch', url: '/api/v1/albums', body: [], status: 400 },
  // Oversized strings, bodies and batches.
  {
    name: 'title of 201 characters',
    body: { ...ok, title: 'x'.repeat(201) },
    status: 400,
    pointers: ['/title'],
  },
  {
    name: 'artist of 201 characters',
    body: { ...ok, artist: 'y'.repeat(201) },
    status: 400,
    pointers: ['/artist'],
  },
  {
    name: 'title of 201 emoji (characters are counted, not bytes or UTF-16 units)',
    body: { ...ok, title: '💿'.repeat(201) },
    status: 400,
    pointers: ['/title'],
  },
  { name: '1001 albums in a batch', url: '/api/v1/albums', body: many(1001), status: 413 },
  {
    name: 'body over 1 MiB',
    body: { ...ok, title: 'x'.repeat(1024 * 1024) },
    status: 413,
  },
  {
    name: 'batch body over 1 MiB',
    url: '/api/v1/albums',
    body: [{ ...ok, artist: 'y'.repeat(1024 * 1024) }],
    status: 413,
  },
  // Wrong content types.
  { name: 'text/plain body', payload: JSON.stringify(ok), contentType: 'text/plain', status: 415 },
  {
    name: 'form-encoded body',
    payload: 'title=Blue+Train&artist=John+Coltrane&price=56.99',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
  },
  { name: 'no content type', payload: JSON.stringify(ok), contentType: null, status: 415 },
  {
    name: 'application/xml body',
    payload: '<album><title>Blue Train</title></album>',
    contentType: 'application/xml',
    status: 415,
  },
  {
    name: 'multipart body',
    payload: '--x\r\ncontent-disposition: form-data; name="title"\r\n\r\nBlue Train\r\n--x--\r\n',
    contentType: 'multipart/form-data; boundary=x',
    status: 415,
  },
  {
    name: 'JSON declared as UTF-16',
    payload: Buffer.from(JSON.stringify(ok), 'utf16le'),
    contentType: 'application/json; charset=utf-16',
    status: 415,
  },
  // SQL where a number belongs: a type error like any other (valid text is stored verbatim).
  {
    name: 'SQL as the id',
    body: { ...ok, id: '1; DROP TABLE music.albums; --' },
    status: 400,
    pointers: ['/id'],
  },
  {
    name: 'SQL as the price',
    body: { ...ok, price: "0 OR 1=1; DELETE FROM music.albums; --'" },
    status: 400,
    pointers: ['/price'],
  },
  // Text that is not Unicode, or that PostgreSQL cannot hold.
  { name: 'invalid UTF-8 bytes (FF FE)', payload: titleBytes(0xff, 0xfe), status: 400 },
  { name: 'a truncated UTF-8 sequence (E2 82)', payload: titleBytes(0xe2, 0x82), status: 400 },
  { name: 'an overlong UTF-8 "/" (C0 AF)', payload: titleBytes(0xc0, 0xaf), status: 400 },
  {
    name: 'a UTF-8-encoded surrogate (ED A0 80)',
    payload: titleBytes(0xed, 0xa0, 0x80),
    status: 400,
  },
  {
    name: 'an unpaired surrogate escape (\\ud800)',
    payload: '{"title":"Blue \\ud800 Train","artist":"A","price":1}',
    status: 400,
    pointers: ['/title'],
  },
  {
    name: 'a NUL character in the artist',
    body: { ...ok, artist: 'John\u0000Coltrane' },
    status: 400,
    pointers: ['/artist'],
  },
  {
    name: 'a NUL character in one title of a batch',
    url: '/api/v1/albums',
    body: [ok, ok, { ...ok, title: '\u0000' }],
    status: 400,
    pointers: ['/2/title'],
  },
  // PUT needs the id.
  { name: 'PUT without id', method: 'PUT', body: ok, status: 400, pointers: ['/id'] },
  {
    name: 'PUT batch with an item without id',
    method: 'PUT',
    url: '/api/v1/albums',
    body: [{ ...ok, id: 7 }, ok],
    status: 400,
    pointers: ['/1/id'],
  },
];

/** The whole table and the id sequence, as one comparable value. */
async function tableState(sql: Sql): Promise<string> {
  const [row] = await sql<{ rows: number; digest: string | null; seq: string }[]>`
    select count(*)::int as rows,
           md5(string_agg(concat_ws('|', id, title, artist, price, updated_at), ',' order by id))
             as digest,
           (select last_value::text from music.album_id_seq) as seq
    from music.albums`;
  return JSON.stringify(row);
}

test('invalid writes answer a 4xx problem naming the field, and change neither topic nor table', async (t) => {
  assert.ok(INVALID.length >= 60, `${INVALID.length} cases`);
  // A consumer runs, so that anything published by mistake would reach the table too.
  const { app, topic, sql } = await startStack(t, 'invalid', { consume: true });
  const before = await tableState(sql);

  for (const c of INVALID) {
    await t.test(c.name, async () => {
      const res = await app.inject({
        method: c.method ?? 'POST',
        url: c.url ?? '/api/v1/album',
        headers:
          c.contentType === null ? {} : { 'content-type': c.contentType ?? 'application/json' },
        payload: c.payload ?? JSON.stringify(c.body),
      });
      assert.equal(res.statusCode, c.status, res.body.slice(0, 500));
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json(;|$)/);
      const problem = res.json<{
        type: string;
        title: string;
        status: number;
        detail: string;
        errors?: { pointer: string; detail: string }[];
      }>();
      assert.equal(problem.status, c.status);
      assert.match(problem.type, /^\/problems\/[a-z-]+$/);
      assert.ok(problem.title.length > 0 && problem.detail.length > 0);
      if (c.pointers) {
        const named = [...new Set(problem.errors?.map((e) => e.pointer))].sort();
        assert.deepEqual(named, [...c.pointers].sort(), JSON.stringify(problem.errors));
        for (const e of problem.errors ?? []) assert.ok(e.detail.length > 0);
      }
      assert.equal(await recordCount(topic), 0, 'nothing was published');
      assert.equal(await tableState(sql), before, 'the table and the id sequence are unchanged');
    });
  }
  // A last look once a consumer would have had time to store anything.
  await sleep(1000);
  assert.equal(await recordCount(topic), 0);
  assert.equal(await tableState(sql), before);
});

test('a batch of exactly 1000 is accepted while 1001 is 413 naming the limit', async (t) => {
  const { app, topic } = await startStack(t, 'batch-limit', { consume: false });
  const tooMany = await app.inject({ method: 'POST', url: '/api/v1/albums', ...json(many(1001)) });
  assert.equal(tooMany.statusCode, 413);
  assert.match(tooMany.json<{ detail: string }>().detail, /at most 1000/);
  assert.equal(await recordCount(topic), 0);

  const full = await app.inject({ method: 'POST', url: '/api/v1/albums', ...json(many(1000)) });
  assert.equal(full.statusCode, 202, full.body.slice(0, 500));
  assert.equal(full.json<unknown[]>().length, 1000);
  assert.equal(await recordCount(topic), 1000);
});

test('an unreachable broker answers 503 problem+json within seconds, never 202', async (t) => {
  const { app } = await startStack(t, 'no-broker', {
    consume: false,
    brokers: ['127.0.0.1:1'],
    timeoutMs: 1500,
  });
  for (const [url, body] of [
    ['/api/v1/album', ok],
    ['/api/v1/albums', [ok, ok]],
  ] as const) {
    const started = Date.now();
    const res = await app.inject({ method: 'POST', url, ...json(body) });
    const elapsed = Date.now() - started;
    assert.equal(res.statusCode, 503, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json(;|$)/);
    const problem = res.json<{ type: string; status: number; detail: string }>();
    assert.equal(problem.status, 503);
    assert.equal(problem.type, '/problems/unavailable');
    assert.doesNotMatch(problem.detail, /127\.0\.0\.1|ECONNREFUSED/, 'no internals leak');
    // The publisher's deadline is 1.5 s; the bound is wide for a busy machine and still rules
    // out a request that waits for a broker that will never answer.
    assert.ok(elapsed < 15_000, `answered in ${elapsed} ms`);
  }
});
