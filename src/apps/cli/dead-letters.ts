// Dead letters as `music dlq` shows and selects them: what the consumer's x-dlq-* headers say,
// and the album when the value still decodes.
import type { Album } from '../../domain/album.ts';
import { fromCents } from '../../domain/album.ts';
import { decodeAlbum } from '../../domain/album-codec.ts';
import type { ConsumedMessage } from '../../domain/events.ts';

/** The headers the consumer writes on every dead letter (apps/consumer/processor.ts). */
const H = {
  reason: 'x-dlq-reason',
  at: 'x-dlq-at',
  consumer: 'x-dlq-consumer',
  topic: 'x-dlq-source-topic',
  partition: 'x-dlq-source-partition',
  offset: 'x-dlq-source-offset',
  timestamp: 'x-dlq-source-timestamp',
} as const;

/** One dead letter, as `dlq list --json` prints it. */
export interface DeadLetterView {
  /** Where it lies on the dead-letter topic: what `dlq replay` remembers as replayed. */
  readonly partition: number;
  readonly offset: string;
  /**
   * When it was dead-lettered, ISO 8601: the consumer's x-dlq-at, or the DLQ record's timestamp
   * for letters written before that header existed.
   */
  readonly at: string;
  readonly reason: string | null;
  /** The consumer client that dead-lettered it. */
  readonly consumer: string | null;
  /** The record it copies: topic, partition and offset, and that record's time. */
  readonly source: {
    readonly topic: string | null;
    readonly partition: number | null;
    readonly offset: string | null;
    readonly at: string | null;
  };
  /** The key as text when it is UTF-8, else base64 (`keyEncoding` says which); null: none. */
  readonly key: string | null;
  readonly keyEncoding: 'utf8' | 'base64';
  /** The album of the value when it decodes and passes today's rules. */
  readonly album: Album | null;
  /** Why the value does not give an album, when it does not. */
  readonly problem: string | null;
}

const isoOf = (ms: bigint | number): string | null => {
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
};

function keyText(key: Buffer | null): Pick<DeadLetterView, 'key' | 'keyEncoding'> {
  if (key === null) return { key: null, keyEncoding: 'utf8' };
  const text = key.toString('utf8');
  return Buffer.from(text, 'utf8').equals(key)
    ? { key: text, keyEncoding: 'utf8' }
    : { key: key.toString('base64'), keyEncoding: 'base64' };
}

const integerOf = (text: string | undefined): number | null =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : null;

/** When a letter was dead-lettered, in epoch milliseconds (see DeadLetterView.at). */
function deadLetteredMs(m: ConsumedMessage): number {
  const at = m.headers.get(H.at);
  return at !== undefined && /^\d+$/.test(at) ? Number(at) : Number(m.timestamp);
}

/** What a dead letter says of itself. */
export function viewOf(m: ConsumedMessage): DeadLetterView {
  const header = (name: string) => m.headers.get(name) ?? null;
  const sourceMs = header(H.timestamp);
  const decoded = decodeAlbum(m.value);
  return {
    partition: m.partition,
    offset: m.offset.toString(),
    at: isoOf(deadLetteredMs(m)) ?? String(m.timestamp),
    reason: header(H.reason),
    consumer: header(H.consumer),
    source: {
      topic: header(H.topic),
      partition: integerOf(m.headers.get(H.partition)),
      offset: header(H.offset),
      at: sourceMs !== null && /^-?\d+$/.test(sourceMs) ? isoOf(BigInt(sourceMs)) : null,
    },
    ...keyText(m.key),
    album: decoded.ok
      ? {
          id: decoded.album.id,
          title: decoded.album.title,
          artist: decoded.album.artist,
          price: fromCents(decoded.album.priceCents),
        }
      : null,
    problem: decoded.ok ? null : decoded.reason,
  };
}

/** Which dead letters `dlq replay` takes. */
export interface Selection {
  /** Only those whose reason contains this text (letter case ignored). */
  readonly reason?: string | undefined;
  /** Only those dead-lettered at or after this time (epoch milliseconds). */
  readonly sinceMs?: number | undefined;
}

export function selects(s: Selection, m: ConsumedMessage): boolean {
  if (s.sinceMs !== undefined && deadLetteredMs(m) < s.sinceMs) return false;
  if (s.reason === undefined) return true;
  const reason = m.headers.get(H.reason) ?? '';
  return reason.toLowerCase().includes(s.reason.toLowerCase());
}

// Text from a record (its key, headers written by anyone) must not drive the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const shown = (text: string): string =>
  text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One dead letter as text: where, when, why, from where, and its album or why it has none. */
export function deadLetterText(topic: string, v: DeadLetterView): string {
  const s = v.source;
  const from = s.topic === null ? 'unknown' : `${s.topic} ${s.partition ?? '?'}@${s.offset ?? '?'}`;
  const album = v.album
    ? `#${v.album.id} "${v.album.title}" by ${v.album.artist}, ${v.album.price.toFixed(2)}`
    : `none (${v.problem})`;
  const key = v.key === null ? 'none' : v.keyEncoding === 'base64' ? `base64 ${v.key}` : v.key;
  return [
    `${topic} ${v.partition}@${v.offset}  ${v.at}${v.consumer ? `  by ${v.consumer}` : ''}`,
    `  reason: ${v.reason ?? 'unknown'}`,
    `  source: ${from}${s.at ? ` (${s.at})` : ''}`,
    `  key:    ${key}`,
    `  album:  ${album}`,
  ]
    .map(shown)
    .join('\n');
}
