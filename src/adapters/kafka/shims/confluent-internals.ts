import type {
  KafkaConsumer,
  LibrdKafkaError,
  TopicPartition,
  TopicPartitionOffset,
} from '@confluentinc/kafka-javascript';

/**
 * Methods the JS wrapper has (lib/kafka-consumer.js) but types/rdkafka.d.ts does not declare;
 * test/adapters/kafka/shims/confluent-internals.test.ts checks they are still there.
 */
interface Undeclared {
  commitCb(
    toppars: TopicPartitionOffset[] | null,
    cb: (err: LibrdKafkaError | null) => void,
  ): unknown;
  assignmentLost(): boolean;
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
  rebalanceProtocol(): string;
  incrementalAssign(assignments: TopicPartition[]): void;
  incrementalUnassign(assignments: TopicPartition[]): void;
}

const undeclared = (consumer: KafkaConsumer) => consumer as KafkaConsumer & Undeclared;

/**
 * Commits and resolves with librdkafka's answer: null once committed, else its error. Unlike
 * commit(), whose outcome only arrives as an event, this can be awaited. Rejects when librdkafka
 * refuses the commit at once (the consumer is not connected).
 */
export function commitAwaited(
  consumer: KafkaConsumer,
  toppars: TopicPartitionOffset[],
): Promise<LibrdKafkaError | null> {
  return new Promise((resolve) => {
    undeclared(consumer).commitCb(toppars, resolve);
  });
}

/**
 * Whether the partitions being revoked were lost (the session timed out) rather than handed back;
 * only meaningful inside the rebalance callback. False when librdkafka cannot tell.
 */
export function assignmentLost(consumer: KafkaConsumer): boolean {
  try {
    return undeclared(consumer).assignmentLost();
  } catch {
    return false;
  }
}

/**
 * Whether the group's protocol is cooperative: its rebalance callbacks then carry only the
 * partitions that move, to be taken with incrementalAssign and given back with incrementalUnassign.
 */
export function isCooperative(consumer: KafkaConsumer): boolean {
  return undeclared(consumer).rebalanceProtocol() === 'COOPERATIVE';
}

export function incrementalAssign(consumer: KafkaConsumer, partitions: TopicPartition[]): void {
  undeclared(consumer).incrementalAssign(partitions);
}

export function incrementalUnassign(consumer: KafkaConsumer, partitions: TopicPartition[]): void {
  undeclared(consumer).incrementalUnassign(partitions);
}

/** After the first record, consume(n) only takes what is already fetched (no waits per record). */
export function waitForFirstMessageOnly(consumer: KafkaConsumer): void {
  undeclared(consumer).setDefaultIsTimeoutOnlyForFirstMessage(true);
}
