// The id allocator's blocks, on a stand-in for the database client: no server needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { IdAllocator } from '../../../src/adapters/db/id-allocator.ts';

/** A client whose queries answer `answers` in turn (an Error is thrown), counting the calls. */
function fakeSql(answers: readonly (Error | { first: number; size: number })[]) {
  let calls = 0;
  const sql = (() => {
    const answer = answers[calls++];
    if (answer === undefined) return Promise.reject(new Error('no more answers'));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve([answer]);
  }) as unknown as Sql;
  return { sql, calls: () => calls };
}

const withCode = (code: string) => Object.assign(new Error(code), { code });

test('ids come in blocks: one query per block, across calls', async () => {
  const db = fakeSql([
    { first: 101, size: 3 },
    { first: 104, size: 3 },
  ]);
  const ids = new IdAllocator(db.sql);
  assert.deepEqual(await ids.take(2), [101, 102]);
  assert.deepEqual(await ids.take(3), [103, 104, 105]);
  assert.equal(db.calls(), 2);
});

test('a block is fetched again after a lost connection, not after a data error', async () => {
  const lost = fakeSql([withCode('57P01'), { first: 7, size: 10 }]);
  assert.deepEqual(await new IdAllocator(lost.sql).take(2), [7, 8]);
  assert.equal(lost.calls(), 2, 'terminated backend: tried again');

  const full = fakeSql([withCode('2200H'), { first: 7, size: 10 }]);
  await assert.rejects(new IdAllocator(full.sql).take(1), { code: '2200H' });
  assert.equal(full.calls(), 1, 'sequence exhausted: the same every time, not retried');
});
