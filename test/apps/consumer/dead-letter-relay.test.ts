// The dead-letter relay with in-memory ports: letters leave in order, runs refused for their size
// are split and shortened until they pass, failures keep what was not acknowledged, and the loop
// backs off while the topic cannot be written. (Against the real broker and database:
// test/faults/dlq-outage.int.test.ts and oversized-dead-letter.int.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeptLetter } from '../../../src/adapters/db/dead-letter-outbox.ts';
import { isRecordTooLarge } from '../../../src/adapters/kafka/record-too-large.ts';
import {
  createDeadLetterRelay,
  publishInOrder,
} from '../../../src/apps/consumer/dead-letter-relay.ts';
import { recordSize } from '../../../src/apps/consumer/dead-letters.ts';
import type { OutgoingMessage } from '../../../src/domain/events.ts';
import { log } from '../../support/stack.ts';

const kept = (id: number, bytes: number): KeptLetter => ({
  id: String(id),
  message: {
    key: Buffer.from(String(id)),
    value: Buffer.alloc(bytes, id),
    headers: { 'x-dlq-reason': `r${id}` },
  },
});

/** An error as the publisher wraps the broker's MESSAGE_TOO_LARGE. */
const tooLarge = () =>
  new Error('Kafka did not acknowledge the message', {
    cause: new AggregateError([
      Object.assign(new Error('too large'), { apiId: 'MESSAGE_TOO_LARGE' }),
    ]),
  });

/** A broker accepting produce requests whose records add up to at most `limit` bytes. */
function broker(limit: number, failAfter = Number.POSITIVE_INFINITY) {
  const requests: OutgoingMessage[][] = [];
  let accepted = 0;
  return {
    requests,
    ports: {
      publish: async (messages: readonly OutgoingMessage[]) => {
        if (accepted >= failAfter) throw new Error('broker down');
        const size = messages.reduce((sum, m) => sum + recordSize(m), 0);
        if (size > limit) throw tooLarge();
        requests.push([...messages]);
        accepted++;
      },
      isTooLarge: isRecordTooLarge,
    },
  };
}

test('the too-large answer is found through the causes and aggregates it is wrapped in', () => {
  assert.equal(isRecordTooLarge(tooLarge()), true);
  assert.equal(isRecordTooLarge(new Error('broker down')), false);
  assert.equal(
    isRecordTooLarge(Object.assign(new Error(), { apiId: 'RECORD_LIST_TOO_LARGE' })),
    true,
  );
  assert.equal(isRecordTooLarge(null), false);
});

test('letters leave in order, in runs that each fit one request', async () => {
  const b = broker(Number.POSITIVE_INFINITY);
  const letters = [1, 2, 3, 4, 5].map((id) => kept(id, 400_000));
  const outcome = await publishInOrder(letters, b.ports, log);
  assert.deepEqual(outcome, { acknowledged: ['1', '2', '3', '4', '5'] });
  assert.deepEqual(
    b.requests.map((r) => r.map((m) => m.headers?.['x-dlq-reason'])),
    [['r1', 'r2'], ['r3', 'r4'], ['r5']],
  );
});

test('a broker with a lower limit: runs split, letters shortened until accepted, none lost', async () => {
  const b = broker(300_000);
  const outcome = await publishInOrder([kept(1, 10), kept(2, 900_000), kept(3, 10)], b.ports, log);
  assert.deepEqual(outcome, { acknowledged: ['1', '2', '3'] });
  const sent = b.requests.flat();
  assert.deepEqual(
    sent.map((m) => m.headers?.['x-dlq-reason']),
    ['r1', 'r2', 'r3'],
  );
  assert.equal(sent[1]?.headers?.['x-dlq-truncated'], '900000');
  assert.ok(recordSize(sent[1] as OutgoingMessage) <= 300_000);
});

test('a failure part-way reports what was acknowledged before it, and the error', async () => {
  const b = broker(Number.POSITIVE_INFINITY, 1);
  const outcome = await publishInOrder(
    [kept(1, 600_000), kept(2, 600_000), kept(3, 10)],
    b.ports,
    log,
  );
  assert.deepEqual(outcome.acknowledged, ['1']);
  assert.match(String(outcome.error), /broker down/);
});

test('the relay loop: a kick relays at once; failures back off and recover; close ends it', async () => {
  const passes: number[] = [];
  let failing = false;
  let waiting = 0;
  const relay = createDeadLetterRelay({
    log,
    idleMs: 60_000,
    maxBackoffMs: 200,
    pass: async () => {
      passes.push(Date.now());
      if (failing) throw new Error('broker down');
      const relayed = waiting;
      waiting = 0;
      return relayed;
    },
  });
  await sleep(50);
  assert.equal(passes.length, 1, 'one look at start, then idle');
  waiting = 3;
  relay.kick();
  await sleep(50);
  assert.equal(passes.length, 3, 'kicked: relays, then looks again at once');
  assert.equal(waiting, 0);
  failing = true;
  relay.kick();
  await sleep(700);
  const during = passes.length;
  assert.ok(during >= 5 && during <= 12, `retried with backoff (${during - 3} tries)`);
  failing = false;
  waiting = 2;
  await sleep(400);
  assert.equal(waiting, 0, 'recovered by itself');
  const before = passes.length;
  await relay.close();
  assert.equal(passes.length, before + 1, 'one last pass at close');
});
