// Every producer of the project partitions as the Java client does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaPartition, javaPartitioner } from '../../../src/adapters/kafka/partitioner.ts';

/**
 * [key, Utils.murmur2(key), Utils.toPositive(murmur2), that mod 6, mod 12], printed by Java itself:
 * `java -cp ".data/kafka/libs/*" Murmur.java` with kafka-clients-4.4.0.jar, where Murmur.java
 * prints, for each key's UTF-8 bytes, `h = Utils.murmur2(b)`, `Utils.toPositive(h)` and
 * `Utils.toPositive(h) % n` (BuiltInPartitioner.partitionForKey) for n = 6 and 12.
 */
const JAVA: readonly (readonly [string, number, number, number, number])[] = [
  ['1', -1993445489, 154038159, 3, 3],
  ['42', 417700972, 417700972, 4, 4],
  ['1000', 15042646, 15042646, 4, 10],
  ['123456789', -1822237082, 325246566, 0, 6],
  ['2147483647', -427214283, 1720269365, 5, 5],
  ['1999999999', -1346831069, 800652579, 3, 3],
  ['album-7', 1390731819, 1390731819, 3, 3],
  ['', 275646681, 275646681, 3, 9],
];

test("album ids land on the partitions Java's producer picks", () => {
  for (const [key, , , mod6, mod12] of JAVA) {
    assert.equal(javaPartition(Buffer.from(key), 6), mod6, `key ${key}, 6 partitions`);
    assert.equal(javaPartition(Buffer.from(key), 12), mod12, `key ${key}, 12 partitions`);
  }
});

test('the platformatic partitioner returns the positive murmur2, as Java masks it', () => {
  const partition = javaPartitioner();
  for (const [key, , positive] of JAVA) assert.equal(partition({}, Buffer.from(key)), positive);
});

test('keyless records are spread, not all sent to one partition', () => {
  const partition = javaPartitioner();
  const seen = new Set(Array.from({ length: 6 }, () => partition({}, undefined) % 6));
  assert.equal(seen.size, 6);
});
