import type { OutgoingMessage } from '../../domain/events.ts';

/** A record as @platformatic/kafka's Producer.send takes it. */
export interface ProduceRecord {
  readonly topic: string;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: Map<Buffer, Buffer> | undefined;
}

/** How big one produce request may grow. */
export interface RequestLimits {
  readonly maxRecords: number;
  /** Estimated bytes of all its records together (see recordBytes). */
  readonly maxBytes: number;
}

/**
 * 512 KiB of records per produce request. A request's records for one partition travel as one
 * record batch, which the broker refuses above `message.max.bytes` (1 MiB by default); capping
 * the whole request caps every partition's batch in it, whatever partitions the keys hash to, with
 * room left for the estimate's error and a topic configured somewhat lower.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;

/** Bytes as a Buffer without copying them; text as UTF-8. */
export function toBuffer(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * An upper estimate of a record's size in a v2 record batch: key, value and headers, plus 24
 * bytes for the varints of length, timestamp and offset deltas, attributes and the lengths, and
 * 10 per header for its two lengths. The batch's own 61-byte header is covered by the margin.
 */
export function recordBytes(r: ProduceRecord): number {
  let bytes = 24 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers) for (const [k, v] of r.headers) bytes += 10 + k.length + v.length;
  return bytes;
}

/**
 * Cuts records into produce requests within `limits`, keeping their order (so records of one
 * key keep theirs). A record alone above maxBytes goes in a request of its own, for the broker
 * to judge.
 */
export function splitRequests(
  records: readonly ProduceRecord[],
  limits: RequestLimits,
): ProduceRecord[][] {
  const requests: ProduceRecord[][] = [];
  let current: ProduceRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (
      current.length > 0 &&
      (current.length >= limits.maxRecords || bytes + size > limits.maxBytes)
    ) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

type Headers = NonNullable<OutgoingMessage['headers']>;

/**
 * The records of the publishes taken together. Allocation per record is kept to the record
 * itself: values that are Buffers already are sent as they are, and the messages of one publish,
 * which share one headers object, share one header map too.
 */
export function toRecords(
  publishes: readonly { readonly topic: string; readonly messages: readonly OutgoingMessage[] }[],
): ProduceRecord[] {
  const records: ProduceRecord[] = [];
  const headerMaps = new Map<Headers, Map<Buffer, Buffer>>();
  const headersOf = (headers: Headers) => {
    let map = headerMaps.get(headers);
    if (map === undefined) {
      // Header keys go through the Buffer serializer too, so they must be Buffers.
      map = new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));
      headerMaps.set(headers, map);
    }
    return map;
  };
  for (const p of publishes) {
    for (const m of p.messages) {
      records.push({
        topic: p.topic,
        key: m.key === null ? undefined : toBuffer(m.key),
        value: m.value === null ? undefined : toBuffer(m.value),
        headers: m.headers ? headersOf(m.headers) : undefined,
      });
    }
  }
  return records;
}
