// The librdkafka client as built here reads every compression a producer may use: a build that
// lacks one leaves the confluent consumer stuck on the first record compressed with it.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const { features } = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as {
  features: string[];
};

test('the librdkafka client was built with every Kafka compression codec', () => {
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
    assert.ok(features.includes(codec), `${codec} among ${features.join(', ')}`);
  }
});
