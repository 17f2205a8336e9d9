import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  listenStored,
  notifyStored,
  storedPayloads,
} from '../../../src/adapters/db/album-events.ts';
import { testSql, waitFor } from '../../support/stack.ts';

const sql = testSql(2);
after(() => sql.end({ timeout: 5 }));

test('payloads stay under the 8000-byte NOTIFY limit and keep every id once', () => {
  const ids = Array.from({ length: 5000 }, (_, i) => 2_000_000_000 + i);
  const payloads = storedPayloads(ids);
  assert.ok(payloads.length > 1);
  for (const p of payloads) assert.ok(Buffer.byteLength(p) < 8000, `${Buffer.byteLength(p)}`);
  assert.deepEqual(
    payloads.flatMap((p) => JSON.parse(p) as number[]),
    ids,
  );
  assert.deepEqual(storedPayloads([]), []);
});

test('listeners hear every id notified, however many chunks it takes', async () => {
  const heard: number[] = [];
  const unlisten = await listenStored(sql, (ids) => heard.push(...ids));
  try {
    const ids = Array.from({ length: 3000 }, (_, i) => 1_000_000_000 + i);
    await notifyStored(sql, ids);
    await notifyStored(sql, []);
    await waitFor('all ids', async () => (heard.length >= ids.length ? true : undefined));
    assert.deepEqual(heard, ids);
    // Anyone may NOTIFY on the channel: what is not an id array is ignored.
    await sql`select pg_notify('music_albums_stored', 'not json')`;
    await notifyStored(sql, [7]);
    await waitFor('the next id', async () => (heard.at(-1) === 7 ? true : undefined));
    assert.equal(heard.length, ids.length + 1);
  } finally {
    await unlisten();
  }
});
