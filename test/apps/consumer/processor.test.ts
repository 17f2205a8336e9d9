// The shared batch processing with in-memory ports: how it splits a batch the database refuses,
// and that it never gives up on an outage. (The same processing against the real broker and
// database is tested in pipeline.int.test.ts and the fault tests.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatchProcessor } from '../../../src/apps/consumer/processor.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import { type AlbumChange, changedId } from '../../../src/domain/batch.ts';
import type { ConsumedMessage, OutgoingMessage } from '../../../src/domain/events.ts';
import { log } from '../../support/stack.ts';

const record = (offset: number, title: string): ConsumedMessage => ({
  topic: 'albums',
  partition: 0,
  offset: BigInt(offset),
  timestamp: 1_700_000_000_000n + BigInt(offset),
  key: Buffer.from(String(offset + 1)),
  value: Buffer.from(encodeAlbum({ id: offset + 1, title, artist: 'A', priceCents: 100n })),
  headers: new Map([['x-request-id', `req-${offset}`]]),
});

/** An error as postgres.js reports one from the server. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

function ports(fail: (changes: readonly AlbumChange[], call: number) => Error | null) {
  const stored = new Map<number, string>();
  const letters: OutgoingMessage[] = [];
  let calls = 0;
  return {
    stored,
    letters,
    calls: () => calls,
    ports: {
      store: async (changes: readonly AlbumChange[]) => {
        const err = fail(changes, ++calls);
        if (err) throw err;
        for (const c of changes) {
          if ('album' in c) stored.set(c.album.id, c.album.title);
          else stored.delete(c.deletedId);
        }
        return changes.map(changedId);
      },
      deadLetter: async (messages: readonly OutgoingMessage[]) => void letters.push(...messages),
      isPermanent: (err: unknown) => /^2[23]/.test(String((err as { code?: unknown }).code)),
    },
  };
}

test('a batch the database refuses for one record: the others are stored, that one dead-lettered', async () => {
  const batch = [record(0, 'fine'), record(1, 'refused'), record(2, 'also fine')];
  const world = ports((changes) =>
    changes.some((c) => 'album' in c && c.album.title === 'refused')
      ? pgError('23514', 'new row violates check constraint "albums_title_check"')
      : null,
  );
  const handle = createBatchProcessor(world.ports, {
    client: 'test',
    log,
    signal: new AbortController().signal,
  });
  await handle(batch);

  assert.deepEqual([...world.stored].sort(), [
    [1, 'fine'],
    [3, 'also fine'],
  ]);
  assert.equal(world.letters.length, 1);
  const [letter] = world.letters;
  assert.deepEqual(letter?.key, Buffer.from('2'), 'the key bytes as they came');
  assert.match(letter?.headers?.['x-dlq-reason'] ?? '', /^database refused: new row violates/);
  assert.equal(letter?.headers?.['x-dlq-source-offset'], '1');
  assert.equal(letter?.headers?.['x-request-id'], 'req-1', 'the origin headers go along');
});

test('an outage is retried until it passes, never split or dead-lettered', async () => {
  const batch = [record(0, 'one'), record(1, 'two')];
  const world = ports((_changes, call) =>
    call <= 3 ? pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432') : null,
  );
  const handle = createBatchProcessor(world.ports, {
    client: 'test',
    log,
    signal: new AbortController().signal,
  });
  await handle(batch);
  assert.equal(world.calls(), 4, 'three failures, then the whole batch at once');
  assert.equal(world.stored.size, 2);
  assert.deepEqual(world.letters, []);
});

test('shutdown stops the retries of a failing batch, which then stays uncommitted', async () => {
  const shutdown = new AbortController();
  const world = ports(() => pgError('57P03', 'the database system is starting up'));
  const handle = createBatchProcessor(world.ports, {
    client: 'test',
    log,
    signal: shutdown.signal,
  });
  const outcome = handle([record(0, 'one')]);
  setTimeout(() => shutdown.abort(), 300);
  await assert.rejects(outcome, /starting up/);
  assert.ok(world.calls() >= 2, `retried meanwhile (${world.calls()} calls)`);
});

test('a tombstone deletes its album; a null value on a key that names no album is dead-lettered', async () => {
  const tombstone = (offset: number, key: string): ConsumedMessage => ({
    ...record(offset, 'unused'),
    key: Buffer.from(key),
    value: null,
  });
  const world = ports(() => null);
  const handle = createBatchProcessor(world.ports, {
    client: 'test',
    log,
    signal: new AbortController().signal,
  });
  await handle([record(0, 'kept'), record(1, 'deleted')]);
  await handle([tombstone(2, '2'), tombstone(3, 'no-id')]);
  assert.deepEqual([...world.stored], [[1, 'kept']]);
  assert.equal(world.letters.length, 1);
  assert.match(world.letters[0]?.headers?.['x-dlq-reason'] ?? '', /^tombstone without an album id/);
});
