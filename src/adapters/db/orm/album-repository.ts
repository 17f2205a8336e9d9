import { and, asc, count, desc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import { type Album, centsToDecimal } from '../../../domain/album.ts';
import { type AlbumSort, formatSort, reversed, totalOrder } from '../../../domain/album-sort.ts';
import { type SortedListingQuery, type SortedPage, sortedPageOf } from '../../../domain/keyset.ts';
import {
  type AlbumReads,
  artistFilter,
  containsPattern,
  EXACT_TOTAL_UP_TO,
  type ListingQuery,
  rowsForPage,
  type Total,
} from '../../../domain/listing.ts';
import { toCents } from '../../../domain/price.ts';
import type { Sql } from '../client.ts';
import { albums } from './schema.ts';

const columns = { id: albums.id, title: albums.title, artist: albums.artist, price: albums.price };

// Positions are compared to the columns with the columns' own types: a price sent as float8
// would turn the comparison into float8 and keep PostgreSQL off the (price, id) index.
const casts = { id: sql`integer`, title: sql`text`, artist: sql`text`, price: sql`numeric` };

const toAlbum = (r: { id: number; title: string; artist: string; price: string }): Album => ({
  ...r,
  price: Number(r.price),
});

type Filter = Pick<ListingQuery, 'artist' | 'q'>;

/** Which filters a query uses, as a key of its prepared statement. */
const filterShape = (f: Filter) => `${artistFilter(f) === null ? '' : 'r'}${f.q ? 'q' : ''}`;

/** The filters' conditions, each value a placeholder (`artist`, `pattern`). */
function filterConditions(shape: string): SQL[] {
  const where: SQL[] = [];
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
  return where;
}

const filterValues = (f: Filter) => ({
  artist: artistFilter(f) ?? undefined,
  pattern: f.q ? containsPattern(f.q) : undefined,
});

/**
 * Rows strictly after the position (placeholders k0…kn) in `order`. Keys all in one direction
 * are one row comparison, which PostgreSQL answers with a range of the (field, id) index; mixed
 * directions need the expanded form (k0 beyond, or k0 equal and k1 beyond, …), behind a bound on
 * k0 that the index can start from.
 */
function beyond(order: AlbumSort): SQL | undefined {
  const cols = order.map((k) => columns[k.field]);
  const vals = order.map((k, i) => sql`${sql.placeholder(`k${i}`)}::${casts[k.field]}`);
  const op = (descending: boolean) => (descending ? sql`<` : sql`>`);
  const first = order[0];
  if (first && order.every((k) => k.descending === first.descending)) {
    return sql`(${sql.join(cols, sql`, `)}) ${op(first.descending)} (${sql.join(vals, sql`, `)})`;
  }
  // The first key's bound, implied by the expansion, is stated alone so that PostgreSQL starts
  // the scan of its index there instead of filtering every row before the position.
  const bound = sql`${cols[0]} ${op(first?.descending ?? false)}= ${vals[0]}`;
  const expanded = or(
    ...order.map((k, i) =>
      and(
        ...order.slice(0, i).map((_, j) => sql`${cols[j]} = ${vals[j]}`),
        sql`${columns[k.field]} ${op(k.descending)} ${vals[i]}`,
      ),
    ),
  );
  return and(bound, expanded);
}

/** Prepared statements kept per shape; more shapes than this (sorts × filters) start afresh. */
const MAX_SHAPES = 256;

/** How long the table's row estimate is reused: it is an estimate, and reading it is a query. */
const ESTIMATE_TTL_MS = 1000;

/** The REST API's reads (its `AlbumReads`) and the CLI's ORM commands, through Drizzle. */
export function createAlbumRepository(client: Sql): AlbumReads & {
  put(album: Album): Promise<Album>;
} {
  const db = drizzle(client);
  // Prepared once per shape (filters, sort, direction): Drizzle then builds no SQL per call,
  // and PostgreSQL parses and plans the statement once per connection instead of per request.
  const listings = new Map<string, ReturnType<typeof prepareListing>>();
  function prepareListing(filter: string, sort: AlbumSort, before: boolean, from: boolean) {
    const order = before ? reversed(totalOrder(sort)) : totalOrder(sort);
    const where = filterConditions(filter);
    const position = from ? beyond(order) : undefined;
    if (position) where.push(position);
    return db
      .select(columns)
      .from(albums)
      .where(and(...where))
      .orderBy(...order.map((k) => (k.descending ? desc(columns[k.field]) : asc(columns[k.field]))))
      .limit(sql.placeholder('limit'))
      .prepare('albums_list');
  }
  const counts = new Map<string, ReturnType<typeof prepareCount>>();
  // Counting stops one past the exact range: above it the total is an estimate anyway.
  function prepareCount(filter: string) {
    const matching = db
      .select({ one: sql`1` })
      .from(albums)
      .where(and(...filterConditions(filter)))
      .limit(EXACT_TOTAL_UP_TO + 1)
      .as('matching');
    return db.select({ n: count() }).from(matching).prepare('albums_count');
  }
  let estimate: { rows: number; at: number } | null = null;
  /**
   * PostgreSQL's count of the table's live rows, from its cumulative statistics: kept current
   * within about a second of each commit, unlike pg_class.reltuples, which waits for the next
   * ANALYZE (-1 before the first, so a freshly filled table would be counted on every page).
   */
  async function tableEstimate(): Promise<number> {
    const now = Date.now();
    if (estimate && now - estimate.at < ESTIMATE_TTL_MS) return estimate.rows;
    const [row] = await client<{ rows: number }[]>`
      select case when s.n_live_tup > 0 or c.reltuples <= 0 then coalesce(s.n_live_tup, 0)
                  else c.reltuples end::float8 as rows
      from pg_class c left join pg_stat_user_tables s on s.relid = c.oid
      where c.oid = 'music.albums'::regclass`;
    estimate = { rows: Math.round(row?.rows ?? 0), at: now };
    return estimate.rows;
  }
  /** The planner's estimate of the rows a filter matches, from EXPLAIN. */
  async function filterEstimate(f: Filter): Promise<number> {
    const query = db
      .select({ one: sql`1` })
      .from(albums)
      .where(and(...filterConditions(filterShape(f))))
      .toSQL();
    const values = filterValues(f);
    const params = query.params.map((p) =>
      typeof p === 'object' && p !== null && 'name' in p
        ? values[p.name as keyof typeof values]
        : p,
    );
    const [row] = await client.unsafe<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>(
      `explain (format json) ${query.sql}`,
      params as string[],
    );
    return row?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0;
  }
  const cached = <T>(map: Map<string, T>, key: string, make: () => T): T => {
    let found = map.get(key);
    if (found === undefined) {
      if (map.size >= MAX_SHAPES) map.clear();
      found = make();
      map.set(key, found);
    }
    return found;
  };
  const byId = db
    .select(columns)
    .from(albums)
    .where(eq(albums.id, sql.placeholder('id')))
    .prepare('albums_by_id');

  return {
    async list(query: SortedListingQuery): Promise<SortedPage<Album>> {
      const filter = filterShape(query);
      const before = query.from?.before === true;
      const from = query.from !== undefined;
      const key = `${filter}|${formatSort(query.sort)}|${before ? 'b' : from ? 'a' : ''}`;
      const listing = cached(listings, key, () => prepareListing(filter, query.sort, before, from));
      const position = Object.fromEntries(query.from?.values.map((v, i) => [`k${i}`, v]) ?? []);
      const rows = await listing.execute({
        ...filterValues(query),
        ...position,
        limit: rowsForPage(query.limit),
      });
      return sortedPageOf(rows.map(toAlbum), query);
    },

    async count(filter: Filter): Promise<Total> {
      const shape = filterShape(filter);
      // The whole table: its estimate when that is already above the exact range, which keeps
      // counting off the unfiltered list (the busiest read) however large the catalogue grows.
      if (shape === '') {
        const rows = await tableEstimate();
        if (rows > EXACT_TOTAL_UP_TO) return { count: rows, estimated: true };
      }
      const [row] = await cached(counts, shape, () => prepareCount(shape)).execute(
        filterValues(filter),
      );
      const n = row?.n ?? 0;
      if (n <= EXACT_TOTAL_UP_TO) return { count: n, estimated: false };
      const guess = shape === '' ? await tableEstimate() : await filterEstimate(filter);
      return { count: Math.max(guess, EXACT_TOTAL_UP_TO + 1), estimated: true };
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
