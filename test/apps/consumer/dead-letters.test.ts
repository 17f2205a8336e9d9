// What a dead letter says and holds: the consumer's headers win over forged ones, bytes stay
// bytes, and a letter too large for the dead-letter topic is shortened with every cut marked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chunksOf,
  DLQ_RECORD_BUDGET,
  deadLetterOf,
  recordSize,
  shorten,
} from '../../../src/apps/consumer/dead-letters.ts';
import type { ConsumedMessage } from '../../../src/domain/events.ts';

const record = (o: Partial<ConsumedMessage> = {}): ConsumedMessage => ({
  topic: 'albums',
  partition: 3,
  offset: 41n,
  timestamp: 1_700_000_000_000n,
  key: Buffer.from('7'),
  value: Buffer.from([1, 2, 3]),
  headers: new Map(),
  ...o,
});

test("the consumer's x-dlq-* headers win; forged ones are kept as x-dlq-original-*", () => {
  const letter = deadLetterOf(
    record({
      headers: new Map([
        ['x-dlq-reason', 'forged reason'],
        ['X-DLQ-Source-Topic', 'elsewhere'],
        ['x-dlq-original-x-dlq-reason', 'nested'],
        ['x-request-id', 'req-1'],
      ]),
    }),
    'title: must not be empty',
    'confluent',
    1700000009000,
  );
  assert.deepEqual(letter.headers, {
    'x-dlq-reason': 'title: must not be empty',
    'x-dlq-at': '1700000009000',
    'x-dlq-source-topic': 'albums',
    'x-dlq-source-partition': '3',
    'x-dlq-source-offset': '41',
    'x-dlq-source-timestamp': '1700000000000',
    'x-dlq-consumer': 'confluent',
    'x-dlq-original-x-dlq-reason': 'forged reason',
    'x-dlq-original-X-DLQ-Source-Topic': 'elsewhere',
    'x-dlq-original-x-dlq-original-x-dlq-reason': 'nested',
    'x-request-id': 'req-1',
  });
});

test('key and value bytes are kept exactly: binary stays binary, null stays null, empty stays empty', () => {
  const binary = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
  const a = deadLetterOf(record({ key: binary, value: null }), 'r', 'c');
  assert.equal(a.key, binary);
  assert.equal(a.value, null);
  const b = deadLetterOf(record({ key: null, value: Buffer.alloc(0) }), 'r', 'c');
  assert.equal(b.key, null);
  assert.deepEqual(b.value, Buffer.alloc(0));
});

test('a letter that fits is left alone', () => {
  const letter = deadLetterOf(record({ value: Buffer.alloc(900_000, 1) }), 'r', 'c');
  assert.equal(letter.value?.byteLength, 900_000);
  assert.equal(letter.headers?.['x-dlq-truncated'], undefined);
  assert.ok(recordSize(letter) <= DLQ_RECORD_BUDGET);
});

test('a record just under the broker limit is shortened to fit, the value cut and marked', () => {
  const value = Buffer.alloc(1_048_400, 7);
  const letter = deadLetterOf(
    record({ value, headers: new Map([['x-request-id', 'req-9']]) }),
    'title: must be at most 200 characters',
    'platformatic',
  );
  assert.ok(recordSize(letter) <= DLQ_RECORD_BUDGET, `${recordSize(letter)} bytes`);
  assert.equal(letter.headers?.['x-dlq-truncated'], String(value.length));
  assert.equal(letter.headers?.['x-dlq-reason'], 'title: must be at most 200 characters');
  assert.equal(letter.headers?.['x-dlq-source-offset'], '41');
  assert.equal(letter.headers?.['x-request-id'], 'req-9', 'small source headers stay');
  assert.deepEqual(letter.key, Buffer.from('7'));
  const kept = letter.value as Uint8Array;
  assert.ok(kept.byteLength > 990_000, `as much of the value as fits (${kept.byteLength})`);
  assert.deepEqual(Buffer.from(kept), value.subarray(0, kept.byteLength), 'a prefix of the value');
});

test('a huge key and huge source headers are cut too, each cut marked', () => {
  const letter = shorten(
    {
      key: Buffer.alloc(600_000, 2),
      value: Buffer.alloc(600_000, 3),
      headers: {
        'x-dlq-reason': 'r',
        big: 'x'.repeat(500_000),
        small: 'y',
      },
    },
    DLQ_RECORD_BUDGET,
  );
  assert.ok(recordSize(letter) <= DLQ_RECORD_BUDGET);
  assert.equal(letter.headers?.['x-dlq-key-truncated'], '600000');
  assert.equal(letter.headers?.['x-dlq-truncated'], '600000');
  assert.equal(letter.headers?.['x-dlq-headers-dropped'], '1');
  assert.equal(letter.headers?.small, 'y');
  assert.equal(letter.headers?.big, undefined);
  assert.equal(letter.headers?.['x-dlq-reason'], 'r');
});

test('a null value of an oversized letter stays null', () => {
  const letter = shorten(
    { key: Buffer.alloc(2_000_000), value: null, headers: { 'x-dlq-reason': 'r' } },
    DLQ_RECORD_BUDGET,
  );
  assert.equal(letter.value, null);
  assert.equal(letter.headers?.['x-dlq-truncated'], undefined);
  assert.ok(recordSize(letter) <= DLQ_RECORD_BUDGET);
});

test('chunks keep the order and fit the budget, each at least one item', () => {
  assert.deepEqual(
    chunksOf([5, 5, 5, 20, 1, 1], (n) => n, 10),
    [[5, 5], [5], [20], [1, 1]],
  );
  assert.deepEqual(
    chunksOf([], (n: number) => n, 10),
    [],
  );
});
