import { SpanKind } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type postgres from 'postgres';
import { centsToDecimal } from '../../domain/album.ts';
import type { AlbumUpsert } from '../../domain/batch.ts';
import { inSpan, tracingOn } from '../../shared/tracing.ts';
import type { Sql } from './client.ts';

/** A connection or a transaction: the album writes run in either. */
export type Queries = Sql | postgres.TransactionSql;

/**
 * The conflict clause of an album upsert whose target table is aliased `a`: the incoming row
 * replaces the stored one only when its event is newer. The benchmark's database ceiling runs
 * it too, so that it measures the very statement the consumers run.
 */
export const newerEventWins = (sql: Queries) => sql`
  on conflict (id) do update set
    title = excluded.title,
    artist = excluded.artist,
    price = excluded.price,
    event_time = excluded.event_time,
    event_partition = excluded.event_partition,
    event_offset = excluded.event_offset,
    updated_at = now()
  where (a.event_time, a.event_partition, a.event_offset)
      < (excluded.event_time, excluded.event_partition, excluded.event_offset)`;

/**
 * Writes a batch of changes (at most one per id) in one statement. A row only changes when the
 * incoming event is newer than the one it last applied, by (event time, partition, offset), the
 * order of domain/batch.ts; event times are the broker's (the album topic stamps LogAppendTime).
 * An event no newer than the album's last delete (music.album_tombstones) is skipped too, so an
 * older update cannot bring a deleted album back. Returns the ids whose rows were inserted or
 * changed.
 */
export async function upsertAlbums(
  sql: Queries,
  changes: readonly AlbumUpsert[],
): Promise<number[]> {
  if (changes.length === 0) return [];
  if (!tracingOn()) return upsert(sql, changes);
  return inSpan(
    () => ({
      name: 'upsert music.albums',
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_OPERATION_NAME]: 'upsert',
        [ATTR_DB_COLLECTION_NAME]: 'music.albums',
        [ATTR_DB_OPERATION_BATCH_SIZE]: changes.length,
      },
    }),
    () => upsert(sql, changes),
  );
}

async function upsert(sql: Queries, changes: readonly AlbumUpsert[]): Promise<number[]> {
  const col = <T>(pick: (c: AlbumUpsert) => T) => changes.map(pick);
  const rows = await sql<{ id: number }[]>`
    insert into music.albums as a
      (id, title, artist, price, event_time, event_partition, event_offset)
    select id, title, artist, price, at, p, o
    from unnest(
      ${col((c) => c.album.id)}::int4[],
      ${col((c) => c.album.title)}::text[],
      ${col((c) => c.album.artist)}::text[],
      ${col((c) => centsToDecimal(c.album.priceCents))}::text[]::numeric[],
      ${col((c) => c.eventTimeMs.toString())}::int8[],
      ${col((c) => c.partition)}::int4[],
      ${col((c) => c.offset.toString())}::int8[]
    ) as t(id, title, artist, price, ms, p, o)
    cross join lateral (select timestamptz 'epoch' + ms * interval '1 millisecond' as at) as e
    where not exists (
      select from music.album_tombstones d
      where d.id = t.id and (d.event_time, d.event_partition, d.event_offset) >= (e.at, t.p, t.o))
    -- In id order whatever the plan: two batches with ids in common lock their rows alike.
    order by t.id
    ${newerEventWins(sql)}
    returning id`;
  return rows.map((r) => r.id);
}
