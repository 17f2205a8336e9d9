// The read_committed filter finished for @platformatic/kafka: records of aborted transactions are
// dropped as the Java client drops them, whether the abort marker is in the response or not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dropAbortedRecords } from '../../../../src/adapters/kafka/shims/platformatic-aborted-records.ts';

const TXN = 0b1_0000;
const CONTROL = 0b10_0000;

const data = (producerId: bigint, firstOffset: bigint, count = 1) => ({
  attributes: TXN,
  firstOffset,
  lastOffsetDelta: count - 1,
  producerId,
  records: Array.from({ length: count }, () => ({ key: Buffer.from('k') })),
});
const marker = (producerId: bigint, offset: bigint, type: 'abort' | 'commit') => ({
  attributes: TXN | CONTROL,
  firstOffset: offset,
  lastOffsetDelta: 0,
  producerId,
  records: [{ key: Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]) }],
});
type Batch = ReturnType<typeof data>;
const sizes = (batches: readonly Batch[]) => batches.map((b) => b.records.length);
const respond = (
  batches: Batch[],
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null,
) => ({ responses: [{ partitions: [{ records: batches, abortedTransactions }] }] });

test('an aborted transaction cut off before its marker is dropped, other producers kept', () => {
  const batches = [data(7n, 10n, 3), data(8n, 13n), data(7n, 14n, 2)];
  dropAbortedRecords(respond(batches, [{ producerId: 7n, firstOffset: 10n }]));
  assert.deepEqual(sizes(batches), [0, 1, 0]);
});

test("after the abort marker, the producer's next transaction is kept", () => {
  const batches = [data(7n, 10n, 2), marker(7n, 12n, 'abort'), data(7n, 13n, 2)];
  dropAbortedRecords(respond(batches, [{ producerId: 7n, firstOffset: 10n }]));
  assert.deepEqual(sizes(batches), [0, 1, 2]);
});

test('a producer aborting twice in one response loses both, keeps what it committed between', () => {
  const batches = [
    data(7n, 10n),
    marker(7n, 11n, 'abort'),
    data(7n, 15n),
    marker(7n, 16n, 'commit'),
    data(7n, 20n),
    marker(7n, 21n, 'abort'),
  ];
  dropAbortedRecords(
    respond(batches, [
      { producerId: 7n, firstOffset: 20n },
      { producerId: 7n, firstOffset: 10n },
    ]),
  );
  assert.deepEqual(sizes(batches), [0, 1, 1, 1, 0, 1]);
});

test('without aborted transactions (or read_uncommitted) nothing changes', () => {
  const batches = [data(7n, 10n, 2), data(8n, 12n)];
  dropAbortedRecords(respond(batches, null));
  dropAbortedRecords(respond(batches, []));
  dropAbortedRecords(undefined);
  assert.deepEqual(sizes(batches), [2, 1]);
});
