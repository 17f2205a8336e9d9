// The original Go system's two REST testers (seed testers 8 and 9) against the REST runtime and a
// consumer runtime on a real topic and database. They send protobuf JSON of service.Album: a
// random int32 id (negative ones too), a random float32 price written as Go writes a float32
// (0.6782996), a price of 0 left out (omitempty), with POST and PUT, one album and a batch. The
// original answered 201 and numeric(10,2) rounded the price; here each is accepted (202) and
// stored with the price rounded the same way.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { readAlbumPage } from '../../../src/adapters/db/album-reads.ts';
import type { Sql } from '../../../src/adapters/db/client.ts';
import type { RestApp } from '../../../src/apps/rest/app.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  config,
  configWith,
  freshTopics,
  log,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { startConsumer } from '../consumer/support.ts';

/** A tester's album as Go's JSON writes it: fields left out when 0, as protobuf JSON does. */
interface GoAlbum {
  id?: number;
  title: string;
  artist: string;
  price?: number;
}

/** The shortest decimal that reads back as the float32 `f`: what Go prints for a float32. */
function float32Text(f: number): string {
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(f.toPrecision(digits)));
    if (Math.fround(Number(text)) === f) return text;
  }
  return String(Number(f.toPrecision(9)));
}

/** Go's rand.Float32(): a float32 in [0, 1), as the tester's JSON carries it. */
const randomFloat32 = () => Number(float32Text(Math.fround(randomInt(0, 2 ** 24) / 2 ** 24)));

const ids = new Set<number>();
/** A random int32 id other than 0 (Go would leave 0 out) that this file has not used. */
function randomId(): number {
  for (;;) {
    const id = randomInt(-(2 ** 31), 2 ** 31);
    if (id !== 0 && !ids.has(id)) {
      ids.add(id);
      return id;
    }
  }
}

let serial = 0;
function goAlbum(o: { id?: number | undefined; price?: number | undefined } = {}): GoAlbum {
  serial++;
  const album: GoAlbum = { title: `Original tester album ${serial}`, artist: 'Go Tester' };
  if (o.id !== undefined) album.id = o.id;
  const price = o.price ?? randomFloat32();
  if (price !== 0) album.price = price;
  return album;
}

// Half away from zero on the decimal sent, as numeric(10,2) rounds it: ICU reads the text, so
// this is not the code under test.
const cents = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  roundingMode: 'halfExpand',
  useGrouping: false,
});
const stored = (price: number | undefined) => cents.format(String(price ?? 0) as `${number}`);

interface Row {
  id: number;
  title: string;
  artist: string;
  price: string;
}

async function startStack(t: TestContext): Promise<{ app: RestApp; sql: Sql }> {
  const { topic, dlq } = await freshTopics('original-testers');
  const defer = cleanupStack(t);
  const sql = testSql();
  defer(() => sql.end({ timeout: 5 }));
  const rest = await createRestRuntime(
    configWith({
      KAFKA_BROKERS: config.KAFKA_BROKERS,
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_CLIENT_ID: uniqueName('original-testers'),
    }),
    { log, createTopics: false },
  );
  defer(() => rest.close());
  startConsumer(t, {
    client: 'platformatic',
    topic,
    dlq,
    groupId: uniqueName('original-testers-group'),
    batchSize: 500,
  });
  return { app: rest.app, sql };
}

test("the original's REST testers: random int32 ids and float32 prices, POST and PUT, one and many, stored with rounded prices", async (t) => {
  const { app, sql } = await startStack(t);
  /** The row each album must end as, by id. */
  const want = new Map<number, Row>();

  const send = async (method: 'POST' | 'PUT', batch: boolean, albums: GoAlbum[]) => {
    const res = await app.inject({
      method,
      url: batch ? '/api/v1/albums' : '/api/v1/album',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(batch ? albums : albums[0]),
    });
    assert.equal(res.statusCode, 202, `${method} ${res.body}`);
    const answered: Row[] = batch ? res.json() : [res.json()];
    assert.equal(answered.length, albums.length);
    albums.forEach((sent, i) => {
      const got = answered[i] as Row;
      if (sent.id !== undefined) assert.equal(got.id, sent.id, 'the id as sent');
      // The answer shows the price as it will be stored: rounded to cents.
      assert.equal(got.price, Number(stored(sent.price)), `price ${sent.price}`);
      want.set(got.id, { ...got, price: stored(sent.price) });
    });
  };

  // Tester 8: /api/v1/album, one album a request, POST then PUT of the same ids.
  // Random ids only: fixed ones (1, the extremes) belong to the seed and to other tests.
  const singles = Array.from({ length: 16 }, randomId);
  const negative = -randomInt(1, 2 ** 31);
  if (!ids.has(negative)) singles.push(negative);
  ids.add(negative);
  for (const id of singles) await send('POST', false, [goAlbum({ id })]);
  for (const id of singles.slice(0, 6)) await send('PUT', false, [goAlbum({ id })]);
  // A price of 0 is left out by Go's JSON: stored as 0.00.
  await send('POST', false, [goAlbum({ id: randomId(), price: 0 })]);
  await send('PUT', false, [goAlbum({ id: randomId(), price: 0 })]);
  // An id of 0 is left out too: POST allocates one.
  await send('POST', false, [goAlbum()]);
  // Prices whose rounding shows: half away from zero on the decimal, not on the binary double.
  for (const price of [0.125, 0.285, 1.005, 0.6782996, 0.004, 0.995]) {
    await send('POST', false, [goAlbum({ id: randomId(), price })]);
  }

  // Tester 9: /api/v1/albums, a batch a request, POST then PUT of the same ids.
  const batch = Array.from({ length: 50 }, () => goAlbum({ id: randomId() }));
  batch[7] = goAlbum({ id: randomId(), price: 0 });
  await send('POST', true, batch);
  await send(
    'PUT',
    true,
    batch.map((a) => goAlbum({ id: a.id })),
  );
  await send('POST', true, [goAlbum(), goAlbum({ price: 0 })]);

  const wanted = [...want.values()].sort((a, b) => a.id - b.id);
  let last: Row[] = [];
  await waitFor(
    `${wanted.length} albums stored as sent, prices rounded`,
    async () => {
      last = (
        await sql<Row[]>`
          select id, title, artist, price::text as price from music.albums
          where id = any(${[...want.keys()]}::int4[]) order by id`
      ).map((r) => ({ ...r }));
      return JSON.stringify(last) === JSON.stringify(wanted) ? true : undefined;
    },
    60_000,
  ).catch((err: unknown) => {
    const byId = new Map(last.map((r) => [r.id, r]));
    const wrong = wanted.filter((w) => JSON.stringify(byId.get(w.id)) !== JSON.stringify(w));
    throw new Error(
      `${(err as Error).message}; ${wrong.length} differ, e.g. want ${JSON.stringify(wrong[0])}, got ${JSON.stringify(byId.get(wrong[0]?.id ?? 0))}`,
    );
  });
  assert.ok(
    wanted.some((r) => r.id < 0),
    'negative ids were sent and stored',
  );
  assert.ok(
    wanted.some((r) => r.price === '0.00'),
    'a price left out was stored as 0.00',
  );
  // Both read APIs show negative ids: by id, and on a listing's first page (ids sort first).
  const negativeRow = wanted.find((r) => r.id < 0) as Row;
  const one = await app.inject({ method: 'GET', url: `/api/v1/albums/${negativeRow.id}` });
  assert.deepEqual(one.json(), { ...negativeRow, price: Number(negativeRow.price) });
  const restFirst = await app.inject({ method: 'GET', url: '/api/v1/albums?limit=1' });
  assert.ok((restFirst.json<Row[]>()[0]?.id ?? 0) < 0, `REST: ${restFirst.body}`);
  const grpcFirst = await readAlbumPage(sql, { limit: 1 });
  assert.ok((grpcFirst.items[0]?.id ?? 0) < 0, 'gRPC ListAlbums (raw SQL) too');
  // The roundings that show the rule, as PostgreSQL's numeric(10,2) rounds the decimal text.
  const [check] = await sql<{ prices: string[] }[]>`
    select array_agg(p::numeric(10,2)::text order by ord) as prices
    from unnest(${['0.125', '0.285', '1.005', '0.6782996', '0.004', '0.995']}::text[])
      with ordinality as t(p, ord)`;
  assert.deepEqual(
    check?.prices,
    [0.125, 0.285, 1.005, 0.6782996, 0.004, 0.995].map((p) => stored(p)),
  );
});
