/** The broker's answers to a produce request that a record or record batch is over its limit. */
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/**
 * Whether a failed publish was refused for its size (by `message.max.bytes`), looking through
 * the causes and aggregated errors the publisher and @platformatic/kafka wrap it in. Retrying
 * the same records can then never succeed; smaller ones may.
 */
export function isRecordTooLarge(err: unknown): boolean {
  const seen = new Set<unknown>();
  const walk = (e: unknown): boolean => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return false;
    seen.add(e);
    const { apiId, cause, errors } = e as { apiId?: unknown; cause?: unknown; errors?: unknown };
    if (typeof apiId === 'string' && TOO_LARGE.has(apiId)) return true;
    if (Array.isArray(errors) && errors.some(walk)) return true;
    return walk(cause);
  };
  return walk(err);
}
