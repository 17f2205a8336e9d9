import { findErrorBy } from '@platformatic/kafka';

/** The broker's refusals of an acks=all write while fewer replicas are in sync than required. */
const SHORT_OF_REPLICAS = ['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'] as const;

/** What a client is told when a write was refused for want of in-sync replicas. */
export const SHORT_OF_REPLICAS_MESSAGE =
  'Kafka has fewer replicas in sync than min.insync.replicas (a broker is down or catching up): nothing was accepted, try again shortly';

/** The broker's error codes (apiId) within `err`, its causes and the errors it gathers. */
export function brokerErrorIds(err: unknown): string[] {
  const ids = new Set<string>();
  const walk = (e: unknown, depth: number) => {
    if (!(e instanceof Error) || depth > 8) return;
    const { apiId, errors } = e as Error & { apiId?: unknown; errors?: unknown };
    if (typeof apiId === 'string') ids.add(apiId);
    if (Array.isArray(errors)) for (const inner of errors) walk(inner, depth + 1);
    walk(e.cause, depth + 1);
  };
  walk(err, 0);
  return [...ids];
}

/** What a client's failed publish is logged as: why the broker refused, when it said. */
export function unacknowledgedMessage(err: unknown): string {
  if (isShortOfReplicas(err)) return SHORT_OF_REPLICAS_MESSAGE;
  const ids = brokerErrorIds(err);
  return `Kafka did not acknowledge the message${ids.length > 0 ? ` (broker: ${ids.join(', ')})` : ''}`;
}

/**
 * True when `err`, or an error it was caused by (the last refusal before a deadline ran out),
 * is the broker refusing the write for want of in-sync replicas.
 */
export function isShortOfReplicas(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause)
    if (SHORT_OF_REPLICAS.some((id) => findErrorBy(e as Error, 'apiId', id) !== null)) return true;
  return false;
}
