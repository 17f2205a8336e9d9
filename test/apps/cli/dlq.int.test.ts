// `music dlq list` and `music dlq replay` against a dead-letter topic of the test's own: what the
// dead letters say, and a fixed one sent back to the album topic, stored, and never sent twice.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import {
  freshTopics,
  idBlock,
  produceRaw,
  readTopic,
  testSql,
  uniqueName,
  waitFor,
} from '../../support/stack.ts';
import { recordCount, rowsBetween, startConsumer } from '../consumer/support.ts';
import { music, musicJson } from './support.ts';

const sql = testSql(1);
after(() => sql.end());

interface View {
  partition: number;
  offset: string;
  at: string;
  reason: string | null;
  consumer: string | null;
  source: { topic: string | null; partition: number | null; offset: string | null; at: string };
  key: string | null;
  keyEncoding: string;
  album: { id: number; title: string; artist: string; price: number } | null;
  problem: string | null;
}

interface Listing {
  topic: string;
  total: number;
  deadLetters: View[];
}

interface Replay {
  from: string;
  to: string;
  dryRun: boolean;
  selected: number;
  replayedBefore: number;
  replayed: { partition: number; offset: string; albumId: number | null }[];
}

/** The headers the consumer (src/apps/consumer/processor.ts) writes on a dead letter. */
const dlqHeaders = (reason: string, topic: string, partition: number, offset: number) => ({
  'x-dlq-reason': reason,
  'x-dlq-source-topic': topic,
  'x-dlq-source-partition': String(partition),
  'x-dlq-source-offset': String(offset),
  'x-dlq-source-timestamp': String(Date.parse('2025-03-01T12:00:00Z')),
  'x-dlq-consumer': 'platformatic',
});

test('dlq list and dlq replay round-trip a fixed record once', async (t) => {
  const { topic, dlq } = await freshTopics('cli-dlq', 3);
  const env = { KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: dlq };
  const [id] = idBlock(1) as [number];
  const album = { id, title: 'Blue Train', artist: 'John Coltrane', priceCents: 5699n };
  // A database rule, since fixed, refused a good album; another record never was an album.
  const refused = 'database refused: new row violates check constraint "albums_title_check"';
  await produceRaw(dlq, [
    {
      key: String(id),
      value: encodeAlbum(album),
      headers: dlqHeaders(refused, topic, 2, 17),
    },
    {
      key: 'junk',
      value: Uint8Array.from([0xff, 0xff, 0xff]),
      headers: dlqHeaders('not a service.Album: premature EOF', topic, 1, 4),
    },
  ]);

  const listing = await musicJson<Listing>(['dlq', 'list'], env);
  assert.equal(listing.topic, dlq);
  assert.equal(listing.total, 2);
  const fixed = listing.deadLetters.find((v) => v.reason === refused);
  assert.ok(fixed, JSON.stringify(listing));
  assert.deepEqual(fixed.source, {
    topic,
    partition: 2,
    offset: '17',
    at: '2025-03-01T12:00:00.000Z',
  });
  assert.equal(fixed.consumer, 'platformatic');
  assert.equal(fixed.key, String(id));
  assert.deepEqual(fixed.album, { id, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 });
  assert.equal(fixed.problem, null);
  assert.ok(Math.abs(Date.parse(fixed.at) - Date.now()) < 120_000, `dead-lettered at ${fixed.at}`);
  const junk = listing.deadLetters.find((v) => v !== fixed);
  assert.equal(junk?.album, null);
  assert.match(junk?.problem ?? '', /service\.Album/);

  const limited = await musicJson<Listing>(['dlq', 'list', '--limit', '1'], env);
  assert.equal(limited.total, 2);
  assert.equal(limited.deadLetters.length, 1);
  const text = await music(['dlq', 'list'], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^ {2}reason: database refused: /m);
  assert.match(
    text.stdout,
    new RegExp(`^ {2}album: {2}#${id} "Blue Train" by John Coltrane, 56\\.99$`, 'm'),
  );
  assert.match(text.stdout, new RegExp(`^2 dead letters on ${dlq}\\n$`, 'm'));

  const select = ['--reason', 'DATABASE REFUSED'];
  const dry = await musicJson<Replay>(['dlq', 'replay', ...select, '--dry-run'], env);
  assert.deepEqual(
    [dry.dryRun, dry.selected, dry.replayedBefore, dry.replayed.map((r) => r.albumId)],
    [true, 1, 0, [id]],
  );
  assert.equal(await recordCount(topic), 0, 'a dry run publishes nothing');

  startConsumer(t, { client: 'platformatic', topic, dlq, groupId: uniqueName('cli-dlq-group') });
  const first = await musicJson<Replay>(['dlq', 'replay', ...select], env);
  assert.deepEqual(
    [first.from, first.to, first.dryRun, first.selected, first.replayedBefore],
    [dlq, topic, false, 1, 0],
  );
  assert.deepEqual(first.replayed, [
    { partition: fixed.partition, offset: fixed.offset, albumId: id },
  ]);
  const rows = await waitFor('the replayed album stored', async () => {
    const found = await rowsBetween(sql, id, id);
    return found.length > 0 ? found : undefined;
  });
  assert.deepEqual(
    rows.map((r) => [r.id, r.title, r.artist, r.price]),
    [[id, 'Blue Train', 'John Coltrane', '56.99']],
  );
  const [record] = await readTopic(topic, 1, 20_000);
  assert.equal(record?.key?.toString(), String(id));
  assert.deepEqual(record?.value, Buffer.from(encodeAlbum(album)));
  assert.equal(record?.headers.get('x-replayed-from'), `${dlq}/${fixed.partition}/${fixed.offset}`);

  const again = await musicJson<Replay>(['dlq', 'replay', ...select], env);
  assert.deepEqual(
    [again.selected, again.replayedBefore, again.replayed],
    [1, 1, []],
    'a second replay of the same selection publishes nothing',
  );
  const later = new Date(Date.now() + 3_600_000).toISOString();
  const none = await musicJson<Replay>(['dlq', 'replay', '--since', later], env);
  assert.deepEqual([none.selected, none.replayed], [0, []]);
  assert.equal(await recordCount(topic), 1, 'the album topic holds the one replayed record');
});
