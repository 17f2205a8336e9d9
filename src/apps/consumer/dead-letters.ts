import type { ConsumedMessage, OutgoingMessage } from '../../domain/events.ts';

/** The prefix of every header the consumer writes on a dead letter. */
const OURS = 'x-dlq-';
/** Where a source record's own `x-dlq-*` headers go, so that they can never pass for ours. */
const ORIGINAL = 'x-dlq-original-';

/**
 * How large a dead letter may be, in bytes as the broker counts them (record and batch overhead
 * included). The broker refuses record batches over `message.max.bytes` (1,048,588 by default);
 * this leaves ample room below it, so a letter is shortened only when it must be.
 */
export const DLQ_RECORD_BUDGET = 1_000_000;

/** Bytes of a record batch around its records (its v2 header). */
const BATCH_OVERHEAD = 61;
/** The most a record's varint fields (length, attributes, deltas, lengths) take besides its data. */
const RECORD_OVERHEAD = 30;
/** A header's two varint lengths, at most. */
const HEADER_OVERHEAD = 10;
/** Of a budget, the share a cut key or the source headers may take; the value gets the rest. */
const SIDE_SHARE = 8;

const lengthOf = (data: string | Uint8Array | null): number =>
  data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;

function headersSize(headers: Readonly<Record<string, string>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(headers))
    size += HEADER_OVERHEAD + Buffer.byteLength(name) + Buffer.byteLength(value);
  return size;
}

/** An upper bound of the bytes one record takes in a record batch of its own. */
export function recordSize(m: OutgoingMessage): number {
  return (
    BATCH_OVERHEAD +
    RECORD_OVERHEAD +
    lengthOf(m.key) +
    lengthOf(m.value) +
    headersSize(m.headers ?? {})
  );
}

/** True for a header the consumer wrote (its own prefix, in any case, and not a kept original). */
const isOurs = (name: string): boolean => {
  const lower = name.toLowerCase();
  return lower.startsWith(OURS) && !lower.startsWith(ORIGINAL);
};

/**
 * The dead letter of a record: its key and value bytes exactly as they came (null stays null),
 * the consumer's `x-dlq-*` headers saying why and from where, and the source's own headers. A
 * source header that looks like ours (`x-dlq-…`, any case) is kept as `x-dlq-original-<name>`,
 * so the consumer's headers always tell the truth. Shortened to fit the DLQ (see shorten).
 */
export function deadLetterOf(
  message: ConsumedMessage,
  reason: string,
  client: string,
  nowMs: number = Date.now(),
): OutgoingMessage {
  const headers: Record<string, string> = {
    'x-dlq-reason': reason,
    // When the consumer refused it: the DLQ record's own time is when the relay published it,
    // which after a DLQ outage is much later.
    'x-dlq-at': String(nowMs),
    'x-dlq-source-topic': message.topic,
    'x-dlq-source-partition': String(message.partition),
    'x-dlq-source-offset': message.offset.toString(),
    'x-dlq-source-timestamp': message.timestamp.toString(),
    'x-dlq-consumer': client,
  };
  for (const [name, value] of message.headers)
    headers[name.toLowerCase().startsWith(OURS) ? `${ORIGINAL}${name}` : name] = value;
  return shorten({ key: message.key, value: message.value, headers }, DLQ_RECORD_BUDGET);
}

/** The first `max` bytes of `data` (a copy-free view), or the data itself when it is shorter. */
function cut(data: string | Uint8Array, max: number): Uint8Array {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return bytes.byteLength <= max ? bytes : bytes.subarray(0, Math.max(0, max));
}

/**
 * The letter itself when it fits in `budget` bytes; otherwise a shortened copy that does: the
 * consumer's headers whole (reason and source coordinates), the key whole unless it is huge,
 * as many of the source headers as fit a small share, and as much of the value as fits in the
 * rest. Each cut is marked: `x-dlq-truncated` (the value's original length in bytes),
 * `x-dlq-key-truncated` (the key's) and `x-dlq-headers-dropped` (how many source headers).
 */
export function shorten(letter: OutgoingMessage, budget: number): OutgoingMessage {
  if (recordSize(letter) <= budget) return letter;
  const all = Object.entries(letter.headers ?? {});
  const headers: Record<string, string> = Object.fromEntries(all.filter(([n]) => isOurs(n)));
  const valueLength = lengthOf(letter.value);
  if (letter.value !== null) headers['x-dlq-truncated'] = String(valueLength);
  const side = Math.floor(budget / SIDE_SHARE);
  let key = letter.key;
  if (key !== null && lengthOf(key) > side) {
    headers['x-dlq-key-truncated'] = String(lengthOf(key));
    key = cut(key, side);
  }
  const source = all.filter(([n]) => !isOurs(n));
  let kept = 0;
  let used = 0;
  for (const [name, value] of source) {
    const size = headersSize({ [name]: value });
    if (used + size > side) continue;
    headers[name] = value;
    used += size;
    kept++;
  }
  if (kept < source.length) headers['x-dlq-headers-dropped'] = String(source.length - kept);
  const room = budget - recordSize({ key, value: null, headers });
  const value = letter.value === null ? null : cut(letter.value, room);
  return { key, value, headers };
}

/**
 * Splits letters, in order, into runs whose records together fit `budget`: each run can go in
 * one produce request, whose record batch per partition the broker limits just like one record.
 */
export function chunksOf<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let used = 0;
  for (const item of items) {
    const s = size(item);
    if (chunk.length > 0 && used + s > budget) {
      chunks.push(chunk);
      chunk = [];
      used = 0;
    }
    chunk.push(item);
    used += s;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
