// Changes of one album apply in the order the broker stored them, whatever time their producers
// set: the album topic stamps LogAppendTime, and both consumers read the broker's time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Sql } from '../../../src/adapters/db/client.ts';
import { centsToDecimal } from '../../../src/domain/album.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import {
  albumOf,
  CLIENTS,
  produceAlbums,
  rowsBetween,
  startConsumer,
} from '../../apps/consumer/support.ts';
import { idBlock, produceRaw, uniqueName, waitFor } from '../../support/stack.ts';
import { jsonRequest, serviceTopics, startRest } from './support.ts';

/** Fifty minutes ahead: a producer's clock the broker accepts (its default allows an hour). */
const FUTURE_MS = 50 * 60_000;

async function rowOf(sql: Sql, id: number) {
  return (await rowsBetween(sql, id, id))[0];
}

for (const client of CLIENTS) {
  test(`a future-stamped record followed by a PUT: the PUT's values are stored (${client} consumer)`, async (t) => {
    const topics = await serviceTopics(`future-${client}`);
    const { app, sql } = await startRest(t, `future-${client}`, topics);
    startConsumer(t, { client, ...topics, groupId: uniqueName(`future-${client}-group`) });
    const [id, keyless] = idBlock(2) as [number, number];
    const stamped = albumOf(id, 'Skewed clock');
    const started = Date.now();

    await produceAlbums(topics.topic, [stamped], BigInt(started + FUTURE_MS));
    // The original producers send bare records without a key: they land too.
    await produceRaw(topics.topic, [
      { value: encodeAlbum(albumOf(keyless, 'Keyless')), timestamp: BigInt(started + FUTURE_MS) },
    ]);
    await waitFor('the future-stamped and the keyless album stored', async () =>
      (await rowOf(sql, id))?.title === stamped.title && (await rowOf(sql, keyless))
        ? true
        : undefined,
    );
    const first = await rowOf(sql, id);
    assert.ok(first);
    assert.ok(
      Math.abs(first.eventTime.getTime() - started) < 5 * 60_000,
      `the event time is the broker's (${first.eventTime.toISOString()}), not 50 minutes ahead`,
    );

    const put = { id, title: 'Set right', artist: 'Through REST', price: 12.34 };
    const res = await app.inject({ method: 'PUT', url: '/api/v1/album', ...jsonRequest(put) });
    assert.equal(res.statusCode, 202, res.body);

    let last = first;
    await waitFor('the PUT stored over the future-stamped record', async () => {
      last = (await rowOf(sql, id)) ?? last;
      return last.title === put.title ? true : undefined;
    }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; the row still holds ${JSON.stringify(last)}`);
    });
    assert.deepEqual(
      { title: last.title, artist: last.artist, price: last.price },
      { title: put.title, artist: put.artist, price: '12.34' },
    );
    const bare = await rowOf(sql, keyless);
    assert.equal(bare?.title, albumOf(keyless, 'Keyless').title, 'the keyless record landed');
    assert.equal(bare?.price, centsToDecimal(albumOf(keyless, 'Keyless').priceCents));
  });
}
