import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { addListOptions, type ListOptions } from '../list-options.ts';
import { parseId } from '../options.ts';

/** `music grpc list|get`: the original system's gRPC tester (2), on the raw-SQL read API. */
export function grpcCommand(ctx: CliContext): Command {
  const grpc = new Command('grpc').description(
    'read albums through the gRPC API at GRPC_HOST:GRPC_PORT',
  );
  addListOptions(
    grpc
      .command('list')
      .description(
        'every album, sorted by id, in one GetAlbumList call; with --limit, --artist or --query, ' +
          'through StreamAlbums',
      ),
    {
      sort: { fields: ['id'], descending: false },
      sortNote: 'the gRPC API sorts by id only',
      queryNote: 'the gRPC API has no text search: applied here to every album it streams',
    },
  ).action(async (o: ListOptions) => (await import('../actions/grpc.ts')).listAlbums(ctx, o));
  grpc
    .command('get')
    .description('one album by id (GetAlbum)')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => (await import('../actions/grpc.ts')).getAlbum(ctx, id));
  return grpc;
}
