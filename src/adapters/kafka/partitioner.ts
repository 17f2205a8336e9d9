import { murmur2 } from '@platformatic/kafka';

/**
 * The partitioner of every producer of the project: the Java client's, so that an album id lands
 * on the same partition whichever client (REST API, CLI on either library, a Java or Kafka
 * Streams producer) sent it, and all changes of one album stay in one partition's order.
 */

/** librdkafka's name for Java's murmur2 partitioning of keyed records (keyless ones go random). */
export const LIBRDKAFKA_PARTITIONER = 'murmur2_random';

/** Java's partition of a key: `murmur2(key) & 0x7fffffff` mod the partition count. */
export function javaPartition(key: Buffer, partitions: number): number {
  return (murmur2(key, false) & 0x7fffffff) % partitions;
}

/**
 * A @platformatic/kafka partitioner doing what Java does: keyed records by murmur2 with the sign
 * bit masked (the library takes the result mod the partition count); keyless ones round robin,
 * where the library's own compatibilityPartitioner would send them all to partition 0.
 */
export function javaPartitioner(): (message: unknown, key: Buffer | undefined) => number {
  let next = 0;
  return (_message, key) => {
    if (key !== undefined) return murmur2(key, false) & 0x7fffffff;
    next = (next + 1) & 0x7fffffff;
    return next;
  };
}
