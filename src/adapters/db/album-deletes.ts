import type { AlbumDeletion } from '../../domain/batch.ts';
import type { Queries } from './album-upsert.ts';

/** The tombstone keeps the greatest delete of its id: an older one read later changes nothing. */
const newerDeleteWins = (sql: Queries) => sql`
  on conflict (id) do update set
    event_time = excluded.event_time,
    event_partition = excluded.event_partition,
    event_offset = excluded.event_offset,
    deleted_at = now()
  where (d.event_time, d.event_partition, d.event_offset)
      < (excluded.event_time, excluded.event_partition, excluded.event_offset)`;

/**
 * Applies a batch of deletions (at most one per id) in one statement: keeps each as the id's
 * tombstone, and deletes the row when the event it last applied is older than the deletion (by
 * the order of domain/batch.ts). A row written by a newer event stays: a replayed or late delete
 * does not remove an album recreated after it. Returns the ids whose rows were deleted.
 */
export async function deleteAlbums(
  sql: Queries,
  deletions: readonly AlbumDeletion[],
): Promise<number[]> {
  if (deletions.length === 0) return [];
  const rows = await sql<{ id: number }[]>`
    with t as (
      select id, timestamptz 'epoch' + ms * interval '1 millisecond' as at, p, o
      from unnest(
        ${deletions.map((c) => c.deletedId)}::int4[],
        ${deletions.map((c) => c.eventTimeMs.toString())}::int8[],
        ${deletions.map((c) => c.partition)}::int4[],
        ${deletions.map((c) => c.offset.toString())}::int8[]
      ) as u(id, ms, p, o)
    ), kept as (
      insert into music.album_tombstones as d (id, event_time, event_partition, event_offset)
      select id, at, p, o from t
      ${newerDeleteWins(sql)}
    )
    delete from music.albums a using t
    where a.id = t.id and (a.event_time, a.event_partition, a.event_offset) < (t.at, t.p, t.o)
    returning a.id`;
  return rows.map((r) => r.id);
}

/**
 * Deletes one album row outside Kafka (`music db delete`), keeping a tombstone at the position
 * of the last event the row applied, so that a replay of that event or older ones does not bring
 * it back, while any later change does. True when there was a row.
 */
export async function deleteAlbumRow(sql: Queries, id: number): Promise<boolean> {
  const rows = await sql<{ id: number }[]>`
    with gone as (
      delete from music.albums where id = ${id}
      returning id, event_time, event_partition, event_offset
    ), kept as (
      insert into music.album_tombstones as d (id, event_time, event_partition, event_offset)
      select id, event_time, event_partition, event_offset from gone
      ${newerDeleteWins(sql)}
    )
    select id from gone`;
  return rows.length > 0;
}
