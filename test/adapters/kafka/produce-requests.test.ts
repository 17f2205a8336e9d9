// A publish round is cut into produce requests the broker accepts, whatever its keys hash to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  type ProduceRecord,
  recordBytes,
  splitRequests,
  toRecords,
} from '../../../src/adapters/kafka/produce-requests.ts';

const record = (valueBytes: number, key = '1'): ProduceRecord => ({
  topic: 't',
  key: Buffer.from(key),
  value: Buffer.alloc(valueBytes),
  headers: undefined,
});

test('1000 albums of 1 KiB on one key become requests under the record-batch limit', () => {
  const records = Array.from({ length: 1000 }, () => record(1024));
  const requests = splitRequests(records, {
    maxRecords: 5000,
    maxBytes: DEFAULT_MAX_REQUEST_BYTES,
  });
  assert.ok(requests.length >= 2);
  assert.deepEqual(requests.flat(), records, 'every record once, in order');
  for (const r of requests) {
    const bytes = r.reduce((sum, x) => sum + recordBytes(x), 0);
    assert.ok(bytes <= DEFAULT_MAX_REQUEST_BYTES && bytes < 1024 * 1024);
  }
});

test('requests also hold at most maxRecords records', () => {
  const requests = splitRequests(
    Array.from({ length: 25 }, () => record(1)),
    { maxRecords: 10, maxBytes: 1e9 },
  );
  assert.deepEqual(
    requests.map((r) => r.length),
    [10, 10, 5],
  );
});

test('a record above the limit goes alone, for the broker to judge', () => {
  const requests = splitRequests([record(10), record(2000), record(10)], {
    maxRecords: 100,
    maxBytes: 1000,
  });
  assert.deepEqual(
    requests.map((r) => r.length),
    [1, 1, 1],
  );
});

test('the estimate counts key, value and headers', () => {
  const [r] = toRecords([
    { topic: 't', messages: [{ key: 'abc', value: new Uint8Array(10), headers: { h: 'vv' } }] },
  ]);
  assert.ok(r);
  assert.equal(recordBytes(r), 24 + 3 + 10 + 10 + 1 + 2);
  assert.equal(splitRequests([], { maxRecords: 1, maxBytes: 1 }).length, 0);
});

test('messages of one publish share one header map; null keys and values stay absent', () => {
  const headers = { a: '1' };
  const records = toRecords([
    {
      topic: 't',
      messages: [
        { key: null, value: null, headers },
        { key: 'k', value: new Uint8Array([1]), headers },
      ],
    },
  ]);
  assert.equal(records[0]?.headers, records[1]?.headers);
  assert.equal(records[0]?.key, undefined);
  assert.equal(records[0]?.value, undefined);
});
