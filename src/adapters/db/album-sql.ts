import { type Album, centsToDecimal } from '../../domain/album.ts';
import type { AlbumChange } from '../../domain/batch.ts';
import type { Sql } from './client.ts';

interface AlbumRow {
  id: number;
  title: string;
  artist: string;
  price: string;
}

const toAlbum = (r: AlbumRow): Album => ({
  id: r.id,
  title: r.title,
  artist: r.artist,
  price: Number(r.price),
});

/**
 * Writes a batch of changes (at most one per id) in one statement. A row only changes when the
 * incoming event is newer than the one it last applied, by (event time, partition, offset).
 * Returns the ids whose rows were inserted or changed.
 */
export async function upsertAlbums(sql: Sql, changes: readonly AlbumChange[]): Promise<number[]> {
  if (changes.length === 0) return [];
  const col = <T>(pick: (c: AlbumChange) => T) => changes.map(pick);
  const rows = await sql<{ id: number }[]>`
    insert into music.albums as a
      (id, title, artist, price, event_time, event_partition, event_offset)
    select id, title, artist, price, timestamptz 'epoch' + ms * interval '1 millisecond', p, o
    from unnest(
      ${col((c) => c.album.id)}::int4[],
      ${col((c) => c.album.title)}::text[],
      ${col((c) => c.album.artist)}::text[],
      ${col((c) => centsToDecimal(c.album.priceCents))}::text[]::numeric[],
      ${col((c) => c.eventTimeMs.toString())}::int8[],
      ${col((c) => c.partition)}::int4[],
      ${col((c) => c.offset.toString())}::int8[]
    ) as t(id, title, artist, price, ms, p, o)
    on conflict (id) do update set
      title = excluded.title,
      artist = excluded.artist,
      price = excluded.price,
      event_time = excluded.event_time,
      event_partition = excluded.event_partition,
      event_offset = excluded.event_offset,
      updated_at = now()
    where (a.event_time, a.event_partition, a.event_offset)
        < (excluded.event_time, excluded.event_partition, excluded.event_offset)
    returning id`;
  return rows.map((r) => r.id);
}

/** Every album, sorted by id, in one query (the original GetAlbumList). */
export async function listAllAlbums(sql: Sql): Promise<Album[]> {
  const rows = await sql<AlbumRow[]>`select id, title, artist, price from music.albums order by id`;
  return rows.map(toAlbum);
}

/** One album by id, or null. */
export async function findAlbum(sql: Sql, id: number): Promise<Album | null> {
  const [row] = await sql<
    AlbumRow[]
  >`select id, title, artist, price from music.albums where id = ${id}`;
  return row ? toAlbum(row) : null;
}

/**
 * Hands out album ids from `music.album_id_seq`, one block (the sequence's INCREMENT) per
 * database call, so that posting albums without ids costs no round trip per album.
 */
export class IdAllocator {
  readonly #sql: Sql;
  #next = 0;
  #end = 0;
  #refill: Promise<void> | null = null;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async take(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.#next >= this.#end) await this.#fill();
      else ids.push(this.#next++);
    }
    return ids;
  }

  // Concurrent callers share one refill instead of each burning a block.
  #fill(): Promise<void> {
    this.#refill ??= (async () => {
      try {
        const [row] = await this.#sql<{ first: number; size: number }[]>`
          select nextval('music.album_id_seq')::int4 as first,
                 (select increment_by::int4 from pg_sequences
                   where schemaname = 'music' and sequencename = 'album_id_seq') as size`;
        if (!row) throw new Error('music.album_id_seq returned nothing');
        this.#next = row.first;
        this.#end = row.first + row.size;
      } finally {
        this.#refill = null;
      }
    })();
    return this.#refill;
  }
}
