import { and, asc, eq, gt, ilike, or, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { type Album, centsToDecimal } from '../../../domain/album.ts';
import {
  type AlbumReads,
  artistFilter,
  containsPattern,
  type ListingQuery,
  type Page,
  pageOf,
  rowsForPage,
} from '../../../domain/listing.ts';
import { toCents } from '../../../domain/price.ts';
import type { Sql } from '../client.ts';
import { albums } from './schema.ts';

const columns = { id: albums.id, title: albums.title, artist: albums.artist, price: albums.price };

const toAlbum = (r: { id: number; title: string; artist: string; price: string }): Album => ({
  ...r,
  price: Number(r.price),
});

/** Which filters a listing uses: each combination is one prepared statement. */
function shapeOf(query: ListingQuery): string {
  const artist = artistFilter(query) === null ? '' : 'r';
  return `${query.afterId === undefined ? '' : 'a'}${artist}${query.q ? 'q' : ''}`;
}

/** The REST API's reads (its `AlbumReads`) and the CLI's ORM commands, through Drizzle. */
export function createAlbumRepository(client: Sql): AlbumReads & {
  put(album: Album): Promise<Album>;
} {
  const db = drizzle(client);
  // Prepared once per filter combination: Drizzle then builds no SQL per call, and PostgreSQL
  // parses and plans the statement once per connection instead of once per request.
  const listings = new Map<string, ReturnType<typeof prepareListing>>();
  function prepareListing(shape: string) {
    const where: SQL[] = [];
    if (shape.includes('a')) where.push(gt(albums.id, sql.placeholder('afterId')));
    // The domain's artist rule (listing.ts), which the gRPC API's SQL states the same way.
    if (shape.includes('r'))
      where.push(sql`lower(${albums.artist}) = lower(${sql.placeholder('artist')})`);
    if (shape.includes('q')) {
      const either = or(
        ilike(albums.title, sql.placeholder('pattern')),
        ilike(albums.artist, sql.placeholder('pattern')),
      );
      if (either) where.push(either);
    }
    return db
      .select(columns)
      .from(albums)
      .where(and(...where))
      .orderBy(asc(albums.id))
      .limit(sql.placeholder('limit'))
      .prepare(`albums_list_${shape || 'all'}`);
  }
  const byId = db
    .select(columns)
    .from(albums)
    .where(eq(albums.id, sql.placeholder('id')))
    .prepare('albums_by_id');

  return {
    async list(query: ListingQuery): Promise<Page<Album>> {
      const shape = shapeOf(query);
      let listing = listings.get(shape);
      if (listing === undefined) {
        listing = prepareListing(shape);
        listings.set(shape, listing);
      }
      const rows = await listing.execute({
        afterId: query.afterId,
        artist: artistFilter(query) ?? undefined,
        pattern: query.q ? containsPattern(query.q) : undefined,
        limit: rowsForPage(query.limit),
      });
      const page = pageOf(rows, query.limit);
      return { items: page.items.map(toAlbum), next: page.next };
    },

    async get(id: number): Promise<Album | null> {
      const [row] = await byId.execute({ id });
      return row ? toAlbum(row) : null;
    },

    /** Inserts or replaces one album directly, bypassing Kafka (the original system's ORM tester). */
    async put(album: Album): Promise<Album> {
      // The one price rule (half away from zero on the decimal), not toFixed's binary rounding.
      const values = { ...album, price: centsToDecimal(toCents(album.price)) };
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
