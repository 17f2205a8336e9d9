import type { AlbumRecord } from './album.ts';
import { decodeAlbum } from './album-codec.ts';
import { albumIdOfKey } from './album-key.ts';
import type { ConsumedMessage } from './events.ts';

/** Where a change stands among the changes of its album. */
export interface EventPosition {
  /** The record's timestamp: on the album topic (LogAppendTime) the broker's, not a producer's. */
  readonly eventTimeMs: bigint;
  readonly partition: number;
  readonly offset: bigint;
}

/** An album created or replaced. */
export interface AlbumUpsert extends EventPosition {
  readonly album: AlbumRecord;
}

/** An album deleted: a tombstone (its id as the key, a null value). */
export interface AlbumDeletion extends EventPosition {
  readonly deletedId: number;
}

/** An album change with the position that orders it against other changes of the same id. */
export type AlbumChange = AlbumUpsert | AlbumDeletion;

/** The id of the album a change is about. */
export const changedId = (c: AlbumChange): number => ('album' in c ? c.album.id : c.deletedId);

export interface Rejected {
  readonly event: ConsumedMessage;
  readonly reason: string;
}

export interface BatchPlan {
  /** At most one change per id: the newest of the batch, an upsert or a deletion. */
  readonly changes: readonly AlbumChange[];
  readonly rejected: readonly Rejected[];
}

/**
 * True when change `a` happened after change `b`: by the time the broker appended it, then by log
 * position. Within a partition the broker's times rise with its offsets (unless its clock steps
 * back), ties in one millisecond falling to the offset; across partitions (keyless records) the
 * broker's clock decides. The database holds the same order (adapters/db/album-upsert.ts for
 * upserts, album-deletes.ts for deletions).
 */
export function isNewer(a: EventPosition, b: EventPosition): boolean {
  if (a.eventTimeMs !== b.eventTimeMs) return a.eventTimeMs > b.eventTimeMs;
  if (a.partition !== b.partition) return a.partition > b.partition;
  return a.offset > b.offset;
}

/** The change a record makes, or why it makes none. */
function changeOf(event: ConsumedMessage): AlbumChange | string {
  const position = {
    eventTimeMs: event.timestamp,
    partition: event.partition,
    offset: event.offset,
  };
  // A null value is a tombstone; an empty one is not (it goes on to be refused as empty).
  if (event.value === null) {
    const id = albumIdOfKey(event.key);
    return id === null
      ? 'tombstone without an album id as its key'
      : { ...position, deletedId: id };
  }
  const decoded = decodeAlbum(event.value);
  return decoded.ok ? { ...position, album: decoded.album } : decoded.reason;
}

/**
 * Splits a batch into the changes to write and the records to dead-letter. Several changes of
 * one id collapse to the newest, because one multi-row statement cannot touch a row twice; a
 * deletion among them is just a change, so an older upsert in the same batch cannot undo it.
 */
export function planBatch(events: readonly ConsumedMessage[]): BatchPlan {
  const byId = new Map<number, AlbumChange>();
  const rejected: Rejected[] = [];
  for (const event of events) {
    const change = changeOf(event);
    if (typeof change === 'string') {
      rejected.push({ event, reason: change });
      continue;
    }
    const id = changedId(change);
    const seen = byId.get(id);
    if (seen === undefined || isNewer(change, seen)) byId.set(id, change);
  }
  return { changes: [...byId.values()], rejected };
}
