import { listAlbums as queryAlbums } from '../../../adapters/db/album-listing.ts';
import { createSql, type Sql } from '../../../adapters/db/client.ts';
import { IdAllocator } from '../../../adapters/db/id-allocator.ts';
import { createAlbumRepository } from '../../../adapters/db/orm/album-repository.ts';
import { promoteStandby } from '../../../adapters/db/promotion.ts';
import type { Album } from '../../../domain/album.ts';
import { redactUrl } from '../../../shared/config.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import type { CliContext } from '../context.ts';
import { reaching } from '../failure.ts';
import type { ListOptions } from '../list-options.ts';
import { albumTable } from '../output.ts';
import { checkAlbum } from '../sample-albums.ts';

/**
 * Runs work on a connection of its own, closed afterwards: as the reader (DATABASE_READ_URL) to
 * read and the writer (DATABASE_WRITE_URL) to write, as the services do; each defaults to
 * DATABASE_URL.
 */
export async function withDatabase<T>(
  ctx: CliContext,
  as: 'read' | 'write',
  work: (sql: Sql) => Promise<T>,
): Promise<T> {
  const config = ctx.config();
  const url = as === 'read' ? config.DATABASE_READ_URL : config.DATABASE_WRITE_URL;
  const sql = createSql({ url, max: 1, applicationName: 'music-cli' });
  try {
    return await reaching('PostgreSQL', redactUrl(url), () => work(sql));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export interface InsertOptions {
  readonly id?: number;
  readonly title: string;
  readonly artist: string;
  readonly price: number;
}

/** `music db list`: albums with raw SQL (the original system's tester 5), sorted by PostgreSQL. */
export async function listAlbums(ctx: CliContext, o: ListOptions): Promise<void> {
  const albums = await withDatabase(ctx, 'read', (sql) =>
    queryAlbums(sql, { artist: o.artist, q: o.query, orderBy: o.sort, limit: o.limit }),
  );
  ctx.out.result(albums, (width) => albumTable(albums, width));
}

/** `music db get`: one album through the ORM (tester 6). */
export async function getAlbum(ctx: CliContext, id: number): Promise<void> {
  const album = await withDatabase(ctx, 'read', (sql) => createAlbumRepository(sql).get(id));
  if (!album) throw new AppError(ErrorCode.NotFound, `album ${id} does not exist`);
  ctx.out.result(album, (width) => albumTable([album], width));
}

/** `music db insert`: one album through the ORM, replacing one with its id (tester 7). */
export async function insertAlbum(ctx: CliContext, o: InsertOptions): Promise<void> {
  checkAlbum(o);
  const stored = await withDatabase(ctx, 'write', async (sql): Promise<Album> => {
    const [id] = o.id === undefined ? await new IdAllocator(sql).take(1) : [o.id];
    if (id === undefined) throw new AppError(ErrorCode.Internal, 'no id was allocated');
    // Stored trimmed, as the REST API and the consumers store text.
    const album = { id, title: o.title.trim(), artist: o.artist.trim(), price: o.price };
    return createAlbumRepository(sql).put(album);
  });
  ctx.out.result(stored, (width) => `stored\n${albumTable([stored], width)}`);
}

/**
 * `music db promote`: promotes the standby among DATABASE_MIGRATE_URL's servers when no primary
 * answers (src/adapters/db/promotion.ts); says which server takes writes.
 */
export async function promote(ctx: CliContext, o: { readonly force?: boolean }): Promise<void> {
  const url = ctx.config().DATABASE_MIGRATE_URL;
  const done = await promoteStandby(url, { force: o.force === true });
  ctx.out.result(done, () =>
    [
      ...done.servers.map((s) => `${s.server}\t${s.role}`),
      done.promoted === null
        ? `${done.primary} is the primary already: nothing promoted`
        : `promoted ${done.promoted}: it takes writes now`,
    ].join('\n'),
  );
}
