import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGenerationCache, type Generations } from '../../src/shared/generation-cache.ts';

/** Generations moved by hand; `listening` false makes them unknown (null). */
function handGenerations() {
  let generation = 0;
  let listening = true;
  const movers: (() => void)[] = [];
  const move = () => {
    generation += 1;
    for (const fn of movers) fn();
  };
  const current = () => (listening ? generation : null);
  const generations: Generations = {
    current,
    fresh: async () => current(),
    onMove: (fn) => {
      movers.push(fn);
    },
  };
  return {
    generations,
    move,
    setListening(on: boolean) {
      listening = on;
      move();
    },
  };
}

/** A read that counts its calls and answers with that count, when released. */
function countingRead() {
  let reads = 0;
  const waiting: (() => void)[] = [];
  return {
    get reads() {
      return reads;
    },
    read: () => {
      reads += 1;
      const n = reads;
      return new Promise<number>((resolve) => waiting.push(() => resolve(n)));
    },
    releaseAll() {
      for (const release of waiting.splice(0)) release();
    },
  };
}

const never = new AbortController().signal;
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('an answer is kept until the generation moves; calls during a read share it', async () => {
  const g = handGenerations();
  const cache = createGenerationCache<number>(g.generations, 10);
  const r = countingRead();
  const first = cache.get('k', r.read, never);
  const second = cache.get('k', r.read, never);
  await settle();
  r.releaseAll();
  assert.deepEqual(await Promise.all([first, second]), [1, 1]);
  assert.equal(await cache.get('k', r.read, never), 1, 'kept');
  assert.equal(r.reads, 1);
  g.move();
  const third = cache.get('k', r.read, never);
  await settle();
  r.releaseAll();
  assert.equal(await third, 2, 'read again after the move');
});

test('a read during which the generation moved is not kept, nor joined after the move', async () => {
  const g = handGenerations();
  const cache = createGenerationCache<number>(g.generations, 10);
  const r = countingRead();
  const before = cache.get('k', r.read, never);
  await settle();
  g.move();
  // Began after the move: must not get the answer of the read that began before it.
  const after = cache.get('k', r.read, never);
  await settle();
  r.releaseAll();
  assert.equal(await before, 1);
  assert.equal(await after, 2);
  const later = await cache.get('k', r.read, never);
  assert.equal(later, 2, 'the read that began after the move is kept');
  assert.equal(r.reads, 2);
});

test('nothing is kept while changes may go unheard', async () => {
  const g = handGenerations();
  const cache = createGenerationCache<number>(g.generations, 10);
  const r = countingRead();
  g.setListening(false);
  for (let i = 1; i <= 3; i++) {
    const answer = cache.get('k', r.read, never);
    await settle();
    r.releaseAll();
    assert.equal(await answer, i);
  }
});

test('a call sharing a read whose caller went away reads for itself', async () => {
  const g = handGenerations();
  const cache = createGenerationCache<number>(g.generations, 10);
  const starter = new AbortController();
  const read = (signal: AbortSignal) =>
    new Promise<number>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      setTimeout(() => resolve(signal === starter.signal ? 1 : 2), 20);
    });
  const first = cache.get('k', read, starter.signal);
  const second = cache.get('k', read, never);
  await settle();
  starter.abort(new Error('gone'));
  await assert.rejects(first, /gone/);
  assert.equal(await second, 2);
});

test('past maxKeys the oldest key goes first', async () => {
  const g = handGenerations();
  const cache = createGenerationCache<string>(g.generations, 2);
  let reads = 0;
  const read = (key: string) => async () => {
    reads += 1;
    return key;
  };
  for (const key of ['a', 'b', 'c']) await cache.get(key, read(key), never);
  assert.equal(reads, 3);
  await cache.get('c', read('c'), never);
  await cache.get('b', read('b'), never);
  assert.equal(reads, 3, 'b and c kept');
  await cache.get('a', read('a'), never);
  assert.equal(reads, 4, 'a was dropped');
});
