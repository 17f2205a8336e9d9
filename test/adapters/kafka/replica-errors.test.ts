import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MultipleErrors, ProtocolError } from '@platformatic/kafka';
import {
  brokerErrorIds,
  isShortOfReplicas,
  SHORT_OF_REPLICAS_MESSAGE,
  unacknowledgedMessage,
} from '../../../src/adapters/kafka/replica-errors.ts';

// As a send cut short by its deadline carries it: the last refusal, gathered by the retries.
const refused = (id: string) =>
  new Error('no acknowledgement within 15000 ms', {
    cause: new MultipleErrors('produce failed 3 times.', [new ProtocolError(id)]),
  });

test('a refusal for want of in-sync replicas is told apart, after a deadline too', () => {
  for (const id of ['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']) {
    assert.ok(isShortOfReplicas(refused(id)), id);
    assert.equal(unacknowledgedMessage(refused(id)), SHORT_OF_REPLICAS_MESSAGE);
  }
  assert.equal(isShortOfReplicas(refused('NOT_LEADER_OR_FOLLOWER')), false);
  assert.equal(isShortOfReplicas(new Error('no acknowledgement within 15000 ms')), false);
});

test('another refusal is named in the message; none, none named', () => {
  assert.deepEqual(brokerErrorIds(refused('NOT_LEADER_OR_FOLLOWER')), ['NOT_LEADER_OR_FOLLOWER']);
  assert.equal(
    unacknowledgedMessage(refused('REQUEST_TIMED_OUT')),
    'Kafka did not acknowledge the message (broker: REQUEST_TIMED_OUT)',
  );
  assert.equal(unacknowledgedMessage(new Error('x')), 'Kafka did not acknowledge the message');
});
