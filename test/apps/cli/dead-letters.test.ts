// What `music dlq` reads out of a dead letter, and which ones a replay selects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadLetterText, selects, viewOf } from '../../../src/apps/cli/dead-letters.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import type { ConsumedMessage } from '../../../src/domain/events.ts';

const at = Date.parse('2025-03-01T12:00:00Z');

function letter(o: Partial<ConsumedMessage> & { reason?: string }): ConsumedMessage {
  return {
    topic: 'music.albums.dlq',
    partition: 1,
    offset: 42n,
    timestamp: BigInt(at),
    key: Buffer.from('7'),
    value: Buffer.from(
      encodeAlbum({ id: 7, title: 'Jeru', artist: 'Gerry Mulligan', priceCents: 1799n }),
    ),
    headers: new Map([
      ['x-dlq-reason', o.reason ?? 'database refused: check constraint'],
      ['x-dlq-source-topic', 'music.albums'],
      ['x-dlq-source-partition', '3'],
      ['x-dlq-source-offset', '9000000000'],
      ['x-dlq-source-timestamp', String(at - 1000)],
      ['x-dlq-consumer', 'confluent'],
    ]),
    ...o,
  };
}

test('a dead letter: where, when, why, its source, its key and its album', () => {
  assert.deepEqual(viewOf(letter({})), {
    partition: 1,
    offset: '42',
    at: '2025-03-01T12:00:00.000Z',
    reason: 'database refused: check constraint',
    consumer: 'confluent',
    source: {
      topic: 'music.albums',
      partition: 3,
      offset: '9000000000',
      at: '2025-03-01T11:59:59.000Z',
    },
    key: '7',
    keyEncoding: 'utf8',
    album: { id: 7, title: 'Jeru', artist: 'Gerry Mulligan', price: 17.99 },
    problem: null,
  });
});

test('a binary key is base64, a null value has no album, missing headers are null', () => {
  const v = viewOf(
    letter({ key: Buffer.from([0x00, 0xff, 0xfe]), value: null, headers: new Map() }),
  );
  assert.deepEqual([v.key, v.keyEncoding], ['AP/+', 'base64']);
  assert.equal(v.album, null);
  assert.match(v.problem ?? '', /empty/);
  assert.deepEqual([v.reason, v.consumer], [null, null]);
  assert.deepEqual(v.source, { topic: null, partition: null, offset: null, at: null });
  assert.equal(viewOf(letter({ key: null })).key, null);
});

test('as text: one block per dead letter, control characters of a record shown escaped', () => {
  const text = deadLetterText(
    'music.albums.dlq',
    viewOf(letter({ key: Buffer.from('a\u001b[2Jb') })),
  );
  assert.deepEqual(text.split('\n'), [
    'music.albums.dlq 1@42  2025-03-01T12:00:00.000Z  by confluent',
    '  reason: database refused: check constraint',
    '  source: music.albums 3@9000000000 (2025-03-01T11:59:59.000Z)',
    '  key:    a\\u001b[2Jb',
    '  album:  #7 "Jeru" by Gerry Mulligan, 17.99',
  ]);
});

test('a replay selects by reason (text it contains, any case) and by time', () => {
  const m = letter({ reason: 'Database refused: check constraint "albums_price_check"' });
  assert.ok(selects({}, m));
  assert.ok(selects({ reason: 'PRICE_CHECK' }, m));
  assert.ok(!selects({ reason: 'not a service.Album' }, m));
  assert.ok(selects({ sinceMs: at }, m));
  assert.ok(!selects({ sinceMs: at + 1 }, m));
  assert.ok(!selects({ reason: 'database' }, letter({ headers: new Map() })));
});

test("when a letter was dead-lettered is the consumer's x-dlq-at, not when the relay published it", () => {
  const refusedAt = at - 3_600_000; // an hour before the DLQ could be written again
  const headers = new Map(letter({}).headers).set('x-dlq-at', String(refusedAt));
  const m = letter({ headers });
  assert.equal(viewOf(m).at, '2025-03-01T11:00:00.000Z');
  assert.ok(selects({ sinceMs: refusedAt }, m));
  assert.ok(!selects({ sinceMs: refusedAt + 1 }, m), 'not selected by the later publish time');
});
