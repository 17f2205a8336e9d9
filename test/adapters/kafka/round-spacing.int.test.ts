// The publisher's round spacing against the real broker: a caller alone is never held, a trickle
// from several callers leaves in rounds at least the spacing apart.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { createPublisher, processTransactionalId } from '../../../src/adapters/kafka/publisher.ts';
import { kafka, uniqueName } from '../../support/stack.ts';
import { serviceTopics } from './support.ts';

// Long, so that a held round cannot pass for a slow broker, nor a slow broker for a held round.
const SPACING_MS = 1500;

test('rounds are spaced only while publishes come together: a caller alone never waits, the round after one of several waits out the spacing', async (t) => {
  const { topic } = await serviceTopics('round-spacing');
  const publisher = createPublisher({
    kafka,
    clientId: uniqueName('spacing-publisher'),
    timeoutMs: 10_000,
    transactionalId: processTransactionalId(uniqueName('spacing')),
    roundSpacingMs: SPACING_MS,
  });
  t.after(() => publisher.close());
  const one = (n: number) =>
    publisher.publish(topic, [{ key: String(n), value: Buffer.from(`album ${n}`) }]);
  const timed = async (publish: () => Promise<void>) => {
    const started = performance.now();
    await publish();
    return performance.now() - started;
  };
  // The producers' first transaction finds its coordinator: not what is measured.
  await one(0);

  // One caller, one album after another: each round carries one publish and none is held.
  for (let n = 1; n <= 3; n++) {
    const ms = await timed(() => one(n));
    assert.ok(ms < SPACING_MS / 2, `publish ${n} alone took ${Math.round(ms)} ms`);
  }
  // Three at once: the first leaves at once, the other two together in the next round.
  await Promise.all([one(4), one(5), one(6)]);
  // The round after a round of several waits until the spacing has passed since that one began.
  const held = await timed(() => one(7));
  assert.ok(
    held >= SPACING_MS / 2,
    `the round after two publishes left after ${Math.round(held)} ms`,
  );
  assert.ok(held < SPACING_MS + 5000, `held ${Math.round(held)} ms`);
  // That round carried one publish: the next one leaves at once again.
  const free = await timed(() => one(8));
  assert.ok(free < SPACING_MS / 2, `the publish after a round of one took ${Math.round(free)} ms`);
});
