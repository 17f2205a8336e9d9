import type { AlbumRecord } from './album.ts';
import { decodeAlbum } from './album-codec.ts';
import type { ConsumedMessage } from './events.ts';

/** An album change with the position that orders it against other changes of the same id. */
export interface AlbumChange {
  readonly album: AlbumRecord;
  /** The record's timestamp: on the album topic (LogAppendTime) the broker's, not a producer's. */
  readonly eventTimeMs: bigint;
  readonly partition: number;
  readonly offset: bigint;
}

export interface Rejected {
  readonly event: ConsumedMessage;
  readonly reason: string;
}

export interface BatchPlan {
  /** At most one change per id: the newest of the batch. */
  readonly changes: readonly AlbumChange[];
  readonly rejected: readonly Rejected[];
}

/**
 * True when change `a` happened after change `b`: by the time the broker appended it, then by log
 * position. Within a partition the broker's times rise with its offsets (unless its clock steps
 * back), ties in one millisecond falling to the offset; across partitions (keyless records) the
 * broker's clock decides. The upsert guard (adapters/db/album-upsert.ts) holds the same order.
 */
function isNewer(a: AlbumChange, b: AlbumChange): boolean {
  if (a.eventTimeMs !== b.eventTimeMs) return a.eventTimeMs > b.eventTimeMs;
  if (a.partition !== b.partition) return a.partition > b.partition;
  return a.offset > b.offset;
}

/**
 * Splits a batch into the changes to write and the records to dead-letter. Several changes of
 * one id collapse to the newest, because one multi-row upsert cannot touch a row twice.
 */
export function planBatch(events: readonly ConsumedMessage[]): BatchPlan {
  const byId = new Map<number, AlbumChange>();
  const rejected: Rejected[] = [];
  for (const event of events) {
    const decoded = decodeAlbum(event.value);
    if (!decoded.ok) {
      rejected.push({ event, reason: decoded.reason });
      continue;
    }
    const change: AlbumChange = {
      album: decoded.album,
      eventTimeMs: event.timestamp,
      partition: event.partition,
      offset: event.offset,
    };
    const seen = byId.get(change.album.id);
    if (seen === undefined || isNewer(change, seen)) byId.set(change.album.id, change);
  }
  return { changes: [...byId.values()], rejected };
}
