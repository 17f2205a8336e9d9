import { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { parseId } from '../options.ts';

/** `music grpc list|get`: the original system's gRPC tester (2), on the raw-SQL read API. */
export function grpcCommand(ctx: CliContext): Command {
  const grpc = new Command('grpc').description(
    'read albums through the gRPC API at GRPC_HOST:GRPC_PORT',
  );
  grpc
    .command('list')
    .description('every album, sorted by id, in one GetAlbumList call')
    .action(async () => (await import('../actions/grpc.ts')).listAlbums(ctx));
  grpc
    .command('get')
    .description('one album by id (GetAlbum)')
    .argument('<id>', 'album id', parseId)
    .action(async (id: number) => (await import('../actions/grpc.ts')).getAlbum(ctx, id));
  return grpc;
}
