import { Command } from 'commander';
import { IdAllocator, readAllAlbums } from '../../../adapters/db/album-sql.ts';
import { createSql, type Sql } from '../../../adapters/db/client.ts';
import { createAlbumRepository } from '../../../adapters/db/orm/album-repository.ts';
import type { Album } from '../../../domain/album.ts';
import { redactUrl } from '../../../shared/config.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import type { CliContext } from '../context.ts';
import { reaching } from '../failure.ts';
import { albumOptions, parseId } from '../options.ts';
import { albumTable } from '../output.ts';
import { checkAlbum } from '../sample-albums.ts';

/** Runs work on a connection of its own to DATABASE_URL, closed afterwards. */
async function withDatabase<T>(ctx: CliContext, work: (sql: Sql) => Promise<T>): Promise<T> {
  const { DATABASE_URL } = ctx.config();
  const sql = createSql({ url: DATABASE_URL, max: 1, applicationName: 'music-cli' });
  try {
    return await reaching('PostgreSQL', redactUrl(DATABASE_URL), () => work(sql));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

interface InsertOptions {
  readonly id?: number;
  readonly title: string;
  readonly artist: string;
  readonly price: number;
}

/**
 * `music db list|get|insert`: the seed's PostgreSQL testers, straight to the database without
 * the services: 5 (every album, raw SQL), 6 (one album, ORM), 7 (insert, ORM).
 */
export function dbCommand(ctx: CliContext): Command {
  const db = new Command('db').description('read and write music.albums in DATABASE_URL directly');
  db.command('list')
    .description('every album, sorted by id, with raw SQL')
    .action(async () => {
      const albums = await withDatabase(ctx, (sql) => readAllAlbums(sql));
      ctx.out.result(albums, () => albumTable(albums));
    });
  db.command('get')
    .description('one album by id, through the ORM')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => {
      const album = await withDatabase(ctx, (sql) => createAlbumRepository(sql).get(id));
      if (!album) throw new AppError(ErrorCode.NotFound, `album ${id} does not exist`);
      ctx.out.result(album, () => albumTable([album]));
    });
  db.command('insert')
    .description(
      'insert one album through the ORM, bypassing Kafka (an album with that id is replaced)',
    )
    .addOption(albumOptions.title().makeOptionMandatory())
    .addOption(albumOptions.artist().makeOptionMandatory())
    .addOption(albumOptions.price().makeOptionMandatory())
    .addOption(albumOptions.id('album id (default: a new id from the sequence the REST API uses)'))
    .action(async (o: InsertOptions) => {
      checkAlbum(o);
      const stored = await withDatabase(ctx, async (sql): Promise<Album> => {
        const [id] = o.id === undefined ? await new IdAllocator(sql).take(1) : [o.id];
        if (id === undefined) throw new AppError(ErrorCode.Internal, 'no id was allocated');
        // Stored trimmed, as the REST API and the consumers store text.
        const album = { id, title: o.title.trim(), artist: o.artist.trim(), price: o.price };
        return createAlbumRepository(sql).put(album);
      });
      ctx.out.result(stored, () => `stored\n${albumTable([stored])}`);
    });
  return db;
}
