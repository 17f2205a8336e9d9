/** The longest `Prefer: wait` a write honours, in seconds: a request holds a socket meanwhile. */
export const MAX_WAIT_S = 10;

/**
 * The seconds of an RFC 7240 `Prefer: wait=N` header (one preference among others, such as
 * `respond-async, wait=5`), capped at MAX_WAIT_S; undefined when absent, 0 or malformed, since an
 * unknown or broken preference is ignored rather than refused (RFC 7240 2).
 */
export function preferredWait(header: string | undefined): number | undefined {
  for (const preference of header?.split(',') ?? []) {
    const match = /^\s*wait\s*=\s*(?:"(\d{1,9})"|(\d{1,9}))\s*(?:;|$)/i.exec(preference);
    const seconds = Number(match?.[1] ?? match?.[2]);
    if (seconds > 0) return Math.min(seconds, MAX_WAIT_S);
  }
  return undefined;
}
