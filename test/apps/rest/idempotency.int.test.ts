// Idempotency-Key across processes: two REST runtimes (src/apps/rest/runtime.ts) on one topic
// and one database, a consumer runtime storing what they publish. A retry with the key of an
// earlier write, at either process, gets that write's answer again and publishes nothing.
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyKeys } from '../../../src/adapters/db/idempotency-keys.ts';
import type { Publisher } from '../../../src/adapters/kafka/publisher.ts';
import { createRestRuntime, type RestRuntime } from '../../../src/apps/rest/runtime.ts';
import { AppError, ErrorCode } from '../../../src/shared/errors.ts';
import { cleanupStack } from '../../support/cleanup.ts';
import {
  configWith,
  freshTopics,
  idBlock,
  log,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { recordCount, startConsumer } from '../consumer/support.ts';

/** What a test does to every publish of a REST process: it may wait or fail it. */
type Around = (publish: () => Promise<void>) => Promise<void>;

interface Stack {
  readonly rest: readonly [RestRuntime, RestRuntime];
  readonly topic: string;
  readonly sql: ReturnType<typeof testSql>;
  /** Publishes that reached the broker, over both processes. */
  published(): number;
}

async function startStack(
  t: TestContext,
  label: string,
  o: { around?: Around; consume?: boolean } = {},
): Promise<Stack> {
  const { topic, dlq } = await freshTopics(label);
  const defer = cleanupStack(t);
  const sql = testSql();
  defer(() => sql.end({ timeout: 5 }));
  let published = 0;
  const counted = (real: Publisher): Publisher => ({
    close: () => real.close(),
    publish: async (to, messages) => {
      const publish = async () => {
        await real.publish(to, messages);
        published++;
      };
      await (o.around ? o.around(publish) : publish());
    },
  });
  const start = async (n: number) => {
    const settings = configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_CLIENT_ID: uniqueName(`${label}-${n}`),
    });
    const rest = await createRestRuntime(settings, {
      log,
      createTopics: false,
      publisher: counted,
    });
    defer(() => rest.close());
    return rest;
  };
  const rest = [await start(1), await start(2)] as const;
  if (o.consume) {
    const groupId = uniqueName(`${label}-group`);
    startConsumer(t, { client: 'platformatic', topic, dlq, groupId, batchSize: 500 });
  }
  return { rest, topic, sql, published: () => published };
}

const write = (
  rest: RestRuntime,
  method: 'POST' | 'PUT',
  url: string,
  body: unknown,
  key?: string,
) =>
  rest.app.inject({
    method,
    url,
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    payload: JSON.stringify(body),
  });

interface Album {
  id: number;
  title: string;
  artist: string;
  price: number;
}

/** How many rows hold each of the titles, once every title has landed. */
async function rowsByTitle(sql: Stack['sql'], titles: readonly string[]): Promise<number[]> {
  return waitFor(
    `rows of ${titles.join(', ')}`,
    async () => {
      const rows = await sql<{ title: string; n: number }[]>`
      select title, count(*)::int as n from music.albums where title = any(${titles})
      group by title`;
      const n = new Map(rows.map((r) => [r.title, r.n]));
      return titles.every((title) => n.has(title))
        ? titles.map((title) => n.get(title) ?? 0)
        : undefined;
    },
    60_000,
  );
}

test('The same Idempotency-Key twice: one set of rows, identical answers; across two REST processes too', {
  timeout: 180_000,
}, async (t) => {
  const { rest, topic, sql, published } = await startStack(t, 'idem-twice', { consume: true });
  const [one, two] = rest;
  const tag = uniqueName('idem');
  const batch = [1, 2, 3].map((i) => ({ title: `${tag} #${i}`, artist: 'Keyed', price: i + 0.5 }));
  const key = `batch-${tag}`;

  // POST a batch without ids to one process, then the retry to the other.
  const first = await write(one, 'POST', '/api/v1/albums', batch, key);
  assert.equal(first.statusCode, 202, first.body);
  const retry = await write(two, 'POST', '/api/v1/albums', batch, `"${key}"`);
  assert.equal(retry.statusCode, 202, retry.body);
  assert.equal(retry.body, first.body, 'the same answer, the same ids');
  const albums = first.json<Album[]>();
  assert.equal(new Set(albums.map((a) => a.id)).size, 3);
  // And once more to the first process, after the first two answers.
  assert.equal((await write(one, 'POST', '/api/v1/albums', batch, key)).body, first.body);
  assert.equal(published(), 1, 'one publish for three requests');
  assert.equal(await recordCount(topic), 3);

  // PUT likewise: the ids are the client's, the key still keeps the second publish away.
  const [id] = idBlock(1);
  const put = [{ id, title: `${tag} put`, artist: 'Keyed', price: 9.99 }];
  const putKey = `put-${tag}`;
  const putFirst = await write(two, 'PUT', '/api/v1/albums', put, putKey);
  assert.equal(putFirst.statusCode, 202, putFirst.body);
  const putRetry = await write(one, 'PUT', '/api/v1/albums', put, putKey);
  assert.equal(putRetry.statusCode, 202, putRetry.body);
  assert.equal(putRetry.body, putFirst.body);
  assert.equal(published(), 2);

  // One album: the Location header comes back with the body.
  const single = { title: `${tag} single`, artist: 'Keyed', price: 1 };
  const singleFirst = await write(one, 'POST', '/api/v1/album', single, `single-${tag}`);
  assert.equal(singleFirst.statusCode, 202, singleFirst.body);
  const singleRetry = await write(two, 'POST', '/api/v1/album', single, `single-${tag}`);
  assert.equal(singleRetry.statusCode, 202, singleRetry.body);
  assert.equal(singleRetry.body, singleFirst.body);
  assert.equal(singleRetry.headers.location, singleFirst.headers.location);
  assert.equal(published(), 3);
  assert.equal(await recordCount(topic), 5);

  // One row per album, none twice.
  const titles = [...batch, ...put, single].map((a) => a.title);
  assert.deepEqual(
    await rowsByTitle(sql, titles),
    titles.map(() => 1),
  );

  // The same key with another body is refused, naming the header, as documented.
  const other = await write(two, 'POST', '/api/v1/albums', [{ ...batch[0], price: 7 }], key);
  assert.equal(other.statusCode, 422, other.body);
  assert.match(other.headers['content-type'] as string, /^application\/problem\+json/);
  assert.match(other.json<{ detail: string }>().detail, /Idempotency-Key/);
  const doc = (await one.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  }>();
  const documented = doc.paths['/api/v1/albums']?.post?.responses['422'] as {
    content: Record<string, { examples: Record<string, { value: unknown }> }>;
  };
  const [example] = Object.values(documented.content['application/problem+json']?.examples ?? {});
  assert.deepEqual(other.json(), example?.value);
  // A key belongs to its method and route: the same key elsewhere is a new key.
  const elsewhere = await write(one, 'POST', '/api/v1/album', batch[0], key);
  assert.equal(elsewhere.statusCode, 202, elsewhere.body);
  assert.equal(published(), 4);
});

test('two requests with one key at once: one publishes, the other gets 409, a later retry the answer', {
  timeout: 120_000,
}, async (t) => {
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  // Opened before the runtimes close (after hooks run in order), so that they can drain.
  t.after(() => open());
  let waiting = 0;
  const { rest, topic, published } = await startStack(t, 'idem-race', {
    around: async (publish) => {
      waiting++;
      await gate;
      await publish();
    },
  });
  const [one, two] = rest;
  const batch = [{ title: uniqueName('race'), artist: 'Keyed', price: 2 }];
  const key = uniqueName('race-key');

  const first = write(one, 'POST', '/api/v1/albums', batch, key);
  await waitFor('the first request to publish', async () => (waiting > 0 ? true : undefined));
  // Answered while the first publish waits; a second publish would wait too, so time it out.
  const second = await Promise.race([
    write(two, 'POST', '/api/v1/albums', batch, key),
    sleep(10_000).then(() => null),
  ]);
  assert.ok(second, 'the second request was answered while the first was publishing');
  assert.equal(second.statusCode, 409, second.body);
  assert.match(second.headers['content-type'] as string, /^application\/problem\+json/);
  assert.equal(second.headers['retry-after'], '1');
  assert.equal(waiting, 1, 'the second request did not publish');

  open();
  const answered = await first;
  assert.equal(answered.statusCode, 202, answered.body);
  const later = await write(two, 'POST', '/api/v1/albums', batch, key);
  assert.equal(later.statusCode, 202, later.body);
  assert.equal(later.body, answered.body);
  assert.equal(published(), 1);
  assert.equal(await recordCount(topic), 1);

  // Many at once, over both processes: still one publish.
  const many = [{ title: uniqueName('race-many'), artist: 'Keyed', price: 3 }];
  const manyKey = uniqueName('race-many-key');
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      write(rest[i % 2] as RestRuntime, 'POST', '/api/v1/albums', many, manyKey),
    ),
  );
  // Those that came after the publish get its answer again; those during it, 409.
  const statuses = answers.map((a) => a.statusCode);
  assert.ok(
    statuses.every((s) => s === 202 || s === 409),
    statuses.join(', '),
  );
  const bodies = new Set(answers.filter((a) => a.statusCode === 202).map((a) => a.body));
  assert.equal(bodies.size, 1, 'every 202 is the one answer');
  assert.equal(published(), 2);
});

test('a failed publish (503) frees the key: the retry publishes and is answered 202', {
  timeout: 120_000,
}, async (t) => {
  let failures = 1;
  const { rest, topic, published } = await startStack(t, 'idem-fail', {
    around: async (publish) => {
      if (failures-- > 0) throw new AppError(ErrorCode.Unavailable, 'Kafka is away (test)');
      await publish();
    },
  });
  const batch = [{ title: uniqueName('fail'), artist: 'Keyed', price: 4 }];
  const key = uniqueName('fail-key');
  const failed = await write(rest[0], 'POST', '/api/v1/albums', batch, key);
  assert.equal(failed.statusCode, 503, failed.body);
  const retried = await write(rest[1], 'POST', '/api/v1/albums', batch, key);
  assert.equal(retried.statusCode, 202, retried.body);
  assert.equal((await write(rest[0], 'POST', '/api/v1/albums', batch, key)).body, retried.body);
  assert.equal(published(), 1);
  assert.equal(await recordCount(topic), 1);
});

test('a key older than 24 hours counts as new, and the purge deletes it', async (t) => {
  const { rest, sql, published } = await startStack(t, 'idem-expiry');
  const key = uniqueName('old-key');
  const batch = [{ title: uniqueName('old'), artist: 'Keyed', price: 5 }];
  const first = await write(rest[0], 'POST', '/api/v1/albums', batch, key);
  assert.equal(first.statusCode, 202, first.body);
  const stale = uniqueName('stale-key');
  await sql`
    insert into music.idempotency_keys (key, method, path, body_sha256, claim, status, response, created_at)
    values (${stale}, 'POST', '/api/v1/albums', '\\x00', gen_random_uuid(), 202,
            '{"headers":{},"body":[]}', now() - interval '25 hours')`;
  await sql`
    update music.idempotency_keys set created_at = now() - interval '25 hours'
     where key = ${key}`;

  // Another body under the expired key is a new write, not a 422.
  const again = await write(rest[1], 'POST', '/api/v1/albums', [{ ...batch[0], price: 6 }], key);
  assert.equal(again.statusCode, 202, again.body);
  assert.notEqual(again.body, first.body);
  assert.equal(published(), 2);

  assert.ok((await new IdempotencyKeys(sql).purge()) >= 1);
  const left = await sql<{ key: string }[]>`
    select key from music.idempotency_keys where key = any(${[key, stale]})`;
  assert.deepEqual(
    left.map((r) => r.key),
    [key],
    'the renewed key stays, the expired one is gone',
  );
});
