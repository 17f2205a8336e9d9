// The undeclared librdkafka wrapper methods the confluent consumer uses through its shim: still
// there, still shaped as the shim assumes, checked on the pinned library without a broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RdKafka } from '@confluentinc/kafka-javascript';
import {
  commitAwaited,
  waitForFirstMessageOnly,
} from '../../../../src/adapters/kafka/shims/confluent-internals.ts';

const proto = RdKafka.KafkaConsumer.prototype as unknown as Record<string, unknown>;

/** A method's source on KafkaConsumer.prototype, whitespace collapsed. */
function sourceOf(name: string): string {
  const method = proto[name];
  assert.equal(typeof method, 'function', `KafkaConsumer.prototype.${name} is gone`);
  return String(method).replace(/\s+/g, ' ');
}

/** A consumer that is never connected (nothing listens on port 1). */
function unconnected() {
  return new RdKafka.KafkaConsumer(
    { 'group.id': 'shim-test', 'bootstrap.servers': '127.0.0.1:1' },
    {},
  );
}

test('commitCb calls back with null or a LibrdKafkaError, and throws when not connected', async () => {
  assert.match(
    sourceOf('commitCb'),
    /this\._client\.commitCb\(toppars, function ?\(err\) \{ if \(err\) \{ cb\(LibrdKafkaError\.create\(err\)\); return; \} cb\(null\); \}\);/,
  );
  await assert.rejects(
    commitAwaited(unconnected(), [{ topic: 'albums', partition: 0, offset: 1 }]),
    /disconnected/,
  );
});

test('assignmentLost asks the native client', () => {
  // Not called here: on a consumer that never joined a group the native call crashes the process.
  assert.match(sourceOf('assignmentLost'), /return this\._client\.assignmentLost\(\);/);
  const native = (unconnected() as unknown as { _client: Record<string, unknown> })._client;
  assert.equal(typeof native.assignmentLost, 'function');
});

test("the cooperative protocol's methods ask the native client", () => {
  // As assignmentLost: not called on a consumer that never joined a group.
  assert.match(sourceOf('rebalanceProtocol'), /return this\._client\.rebalanceProtocol\(\);/);
  assert.match(
    sourceOf('incrementalAssign'),
    /this\._client\.incrementalAssign\(TopicPartition\.map\(assignments\)\);/,
  );
  assert.match(
    sourceOf('incrementalUnassign'),
    /this\._client\.incrementalUnassign\(TopicPartition\.map\(assignments\)\);/,
  );
  const native = (unconnected() as unknown as { _client: Record<string, unknown> })._client;
  for (const name of ['rebalanceProtocol', 'incrementalAssign', 'incrementalUnassign'])
    assert.equal(typeof native[name], 'function', name);
});

test('setDefaultIsTimeoutOnlyForFirstMessage sets the flag consume(n) hands to the native client', () => {
  const consumer = unconnected();
  waitForFirstMessageOnly(consumer);
  assert.equal(
    (consumer as unknown as Record<string, unknown>)._consumeIsTimeoutOnlyForFirstMessage,
    true,
  );
  assert.match(
    sourceOf('_consumeNum'),
    /this\._client\.consume\(timeoutMs, numMessages, this\._consumeIsTimeoutOnlyForFirstMessage,/,
  );
});
