import { Command } from 'commander';
import type { InsertOptions } from '../actions/db.ts';
import type { CliContext } from '../context.ts';
import { addListOptions, type ListOptions, SORT_FIELDS } from '../list-options.ts';
import { albumOptions, parseId } from '../options.ts';

/**
 * `music db list|get|insert`: the original system's PostgreSQL testers, straight to the database without
 * the services: 5 (every album, raw SQL), 6 (one album, ORM), 7 (insert, ORM); `music db promote`:
 * failover to the standby.
 */
export function dbCommand(ctx: CliContext): Command {
  const db = new Command('db').description('read and write music.albums in DATABASE_URL directly');
  addListOptions(
    db
      .command('list')
      .description('albums with raw SQL, sorted by id unless --sort says otherwise'),
    {
      sort: { fields: SORT_FIELDS, descending: true },
      sortNote: 'PostgreSQL sorts the whole table, ties by id',
    },
  ).action(async (o: ListOptions) => (await import('../actions/db.ts')).listAlbums(ctx, o));
  db.command('get')
    .description('one album by id, through the ORM')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => (await import('../actions/db.ts')).getAlbum(ctx, id));
  db.command('delete')
    .description('delete one album row, bypassing Kafka (a replay of the topic keeps it deleted)')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => (await import('../actions/deletes.ts')).dbDelete(ctx, id));
  db.command('insert')
    .description(
      'insert one album through the ORM, bypassing Kafka (an album with that id is replaced)',
    )
    .addOption(albumOptions.title().makeOptionMandatory())
    .addOption(albumOptions.artist().makeOptionMandatory())
    .addOption(albumOptions.price().makeOptionMandatory())
    .addOption(albumOptions.id('album id (default: a new id from the sequence the REST API uses)'))
    .action(async (o: InsertOptions) => (await import('../actions/db.ts')).insertAlbum(ctx, o));
  db.command('promote')
    .description(
      'promote the standby among the servers of DATABASE_MIGRATE_URL (h1:5432,h2:5433) once the primary is gone',
    )
    .option('--force', 'promote even though the old primary still answers (it must be fenced)')
    .action(async (o: { force?: boolean }) => (await import('../actions/db.ts')).promote(ctx, o));
  return db;
}
