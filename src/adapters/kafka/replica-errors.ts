import { findErrorBy } from '@platformatic/kafka';

/** The broker's refusals of an acks=all write while fewer replicas are in sync than required. */
const SHORT_OF_REPLICAS = ['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'] as const;

/** What a client is told when a write was refused for want of in-sync replicas. */
export const SHORT_OF_REPLICAS_MESSAGE =
  'Kafka has fewer replicas in sync than min.insync.replicas (a broker is down or catching up): nothing was accepted, try again shortly';

/**
 * True when `err`, or an error it was caused by (the last refusal before a deadline ran out),
 * is the broker refusing the write for want of in-sync replicas.
 */
export function isShortOfReplicas(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (SHORT_OF_REPLICAS.some((id) => findErrorBy(e as Error, 'apiId', id) !== null)) return true;
  return false;
}
