import { Command, Option } from 'commander';
import { MAX_BATCH } from '../../rest/schemas.ts';
import type { WriteOptions } from '../actions/rest.ts';
import type { CliContext } from '../context.ts';
import { addListOptions, type ListOptions, SORT_FIELDS } from '../list-options.ts';
import { albumOptions, countParser, parseId } from '../options.ts';

/**
 * `music rest post|put`: the original system's REST testers (1; 8 with --single; 9 with
 * --count); `music rest list|get`: the reads.
 */
export function restCommand(ctx: CliContext): Command {
  const rest = new Command('rest').description(
    'read and write albums through the REST API at REST_HOST:REST_PORT',
  );
  addListOptions(
    rest
      .command('list')
      .description(
        'albums from GET /api/v1/albums, sorted by the API (sort=), following its pages (Link)',
      ),
    {
      sort: { fields: SORT_FIELDS, descending: true },
      sortNote: 'the REST API sorts the whole catalogue, ties by id',
    },
  ).action(async (o: ListOptions) => (await import('../actions/rest-reads.ts')).listAlbums(ctx, o));
  rest
    .command('get')
    .description('one album by id (GET /api/v1/albums/{id})')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => (await import('../actions/rest-reads.ts')).getAlbum(ctx, id));
  rest
    .command('delete')
    .description(
      'delete albums: a Kafka tombstone each, through DELETE /api/v1/albums/{id} or, for several, POST /api/v1/albums:delete',
    )
    .argument('<ids...>', 'album ids', (v: string, ids: number[] = []) => [...ids, parseId(v)])
    .action(async (ids: number[]) => (await import('../actions/deletes.ts')).restDelete(ctx, ids));
  for (const method of ['POST', 'PUT'] as const) {
    const put = method === 'PUT';
    rest
      .command(method.toLowerCase())
      .description(
        put
          ? 'create or replace albums by id: one with PUT /api/v1/album, or --count of them with PUT /api/v1/albums'
          : 'create albums: one with POST /api/v1/album, or --count of them with POST /api/v1/albums',
      )
      .addOption(
        new Option('--single', 'send one album to /api/v1/album (the default)').conflicts([
          'count',
          'firstId',
        ]),
      )
      .addOption(albumOptions.count().conflicts('id'))
      .addOption(
        albumOptions.id(
          put ? 'album id (needed without --count)' : 'album id (default: the API allocates one)',
        ),
      )
      .addOption(
        albumOptions.firstId(
          put
            ? 'with --count: consecutive ids from this one (needed)'
            : 'with --count: consecutive ids from this one (default: the API allocates them)',
        ),
      )
      .addOption(albumOptions.title())
      .addOption(albumOptions.artist())
      .addOption(albumOptions.price())
      .addOption(
        new Option('--batch-size <n>', 'albums per request with --count')
          .argParser(countParser(MAX_BATCH))
          .default(MAX_BATCH),
      )
      .addOption(
        new Option('--concurrency <n>', 'requests in flight at once with --count')
          .argParser(countParser(64))
          .default(4),
      )
      .action(async (o: WriteOptions) =>
        (await import('../actions/rest.ts')).write(ctx, method, o),
      );
  }
  return rest;
}
