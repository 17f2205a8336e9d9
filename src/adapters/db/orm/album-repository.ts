import { and, asc, eq, gt, ilike, or, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Album } from '../../../domain/album.ts';
import type { Sql } from '../client.ts';
import { albums } from './schema.ts';

export interface AlbumQuery {
  /** Only albums with an id above this one (keyset pagination). */
  readonly afterId?: number | undefined;
  readonly limit: number;
  /** Case-insensitive exact artist name. */
  readonly artist?: string | undefined;
  /** Case-insensitive substring of the title or the artist. */
  readonly q?: string | undefined;
}

const columns = { id: albums.id, title: albums.title, artist: albums.artist, price: albums.price };

const toAlbum = (r: { id: number; title: string; artist: string; price: string }): Album => ({
  ...r,
  price: Number(r.price),
});

// The user's text is matched literally, wildcards included.
const literal = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The REST API's reads and the CLI's ORM commands, through Drizzle. */
export function createAlbumRepository(client: Sql) {
  const db = drizzle(client);
  return {
    /** One page sorted by id, plus whether another page follows. */
    async list(query: AlbumQuery): Promise<{ albums: Album[]; hasMore: boolean }> {
      const where: SQL[] = [];
      if (query.afterId !== undefined) where.push(gt(albums.id, query.afterId));
      if (query.artist) where.push(ilike(albums.artist, literal(query.artist)));
      if (query.q) {
        const pattern = `%${literal(query.q)}%`;
        const either = or(ilike(albums.title, pattern), ilike(albums.artist, pattern));
        if (either) where.push(either);
      }
      const rows = await db
        .select(columns)
        .from(albums)
        .where(and(...where))
        .orderBy(asc(albums.id))
        .limit(query.limit + 1);
      return {
        albums: rows.slice(0, query.limit).map(toAlbum),
        hasMore: rows.length > query.limit,
      };
    },

    async get(id: number): Promise<Album | null> {
      const [row] = await db.select(columns).from(albums).where(eq(albums.id, id));
      return row ? toAlbum(row) : null;
    },

    /** Inserts or replaces one album directly, bypassing Kafka (the original system's ORM tester). */
    async put(album: Album): Promise<Album> {
      const values = { ...album, price: album.price.toFixed(2) };
      const [row] = await db
        .insert(albums)
        .values(values)
        .onConflictDoUpdate({
          target: albums.id,
          set: { title: values.title, artist: values.artist, price: values.price },
        })
        .returning(columns);
      if (!row) throw new Error('insert returned no row');
      return toAlbum(row);
    },
  };
}

export type AlbumRepository = ReturnType<typeof createAlbumRepository>;
