import { create } from '@bufbuild/protobuf';
import { Code, type ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  readAlbum,
  readAlbumPage,
  readAllAlbums,
  streamAlbums,
} from '../../adapters/db/album-reads.ts';
import type { Sql } from '../../adapters/db/client.ts';
import { decodeCursor, isPageSize, PageSize, refuseNul } from '../../domain/listing.ts';
import {
  type GetAlbumRequest,
  type GetAlbumsRequest,
  GetAlbumsResponseSchema,
  type ListAlbumsRequest,
  ListAlbumsResponseSchema,
  type MusicService,
  type StreamAlbumsRequest,
  StreamAlbumsResponseSchema,
} from '../../gen/service/music_pb.js';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { toMessage } from './album-message.ts';
import { EXPORTS_BUSY, type ExportGate } from './export-gate.ts';
import { toConnectError } from './status.ts';
import type { CallContext } from './unary-fast-path.ts';

/** Albums per StreamAlbums message: about 50 KB to 1.6 MB encoded, depending on the text. */
export const STREAM_CHUNK_ROWS = 1000;

// proto3 cannot tell a field left out from its zero value: 0 and '' mean "not set" below.

function pageSizeOf(requested: number): number {
  const size = requested === 0 ? PageSize.default : requested;
  if (!isPageSize(size)) {
    throw new AppError(
      ErrorCode.InvalidArgument,
      `page_size must be between 1 and ${PageSize.max} (0 for ${PageSize.default})`,
    );
  }
  return size;
}

const afterIdOf = (pageToken: string) =>
  pageToken === '' ? undefined : decodeCursor(pageToken, { name: 'page_token' });

/** The request's artist filter, refused when it holds NUL. */
function artistOf(artist: string): string {
  refuseNul({ artist });
  return artist;
}

/**
 * service.MusicService on raw SQL; every query is cancelled when its call's deadline passes.
 * Handlers take only what they use of a call (its signal), so that both Connect and the unary
 * fast path can call them.
 */
export function musicService(sql: Sql, log: Logger, exports: ExportGate) {
  /**
   * Our gRPC status of anything a call threw. What a client would only see as INTERNAL is
   * logged, unless the call was already over for it (cancelled, or past its deadline).
   */
  const statusOf = (err: unknown, call: AbortSignal): ConnectError => {
    const status = toConnectError(err);
    if (status.code === Code.Internal && !call.aborted) log.error({ err }, 'rpc failed');
    return status;
  };
  /** Runs a handler body, turning anything it throws into our gRPC status. */
  const atEdge = async <T>(call: AbortSignal, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (err: unknown) {
      throw statusOf(err, call);
    }
  };

  return {
    /**
     * The original contract: every album, sorted by id, in ONE message. Its limit is that
     * message: the server refuses to send more than MAX_MESSAGE_BYTES (64 MiB), which holds about
     * 1.2 million albums of typical size (53 bytes: a 20-character title, a 15-character artist),
     * about 157,000 when every title and artist has 200 ASCII characters, and about 41,000 with
     * 200 four-byte characters each. Clients usually accept less: grpc-go and grpc-js take 4 MiB
     * by default, about 79,000 typical albums. Larger catalogues need ListAlbums or StreamAlbums.
     */
    getAlbumList: (_request: GetAlbumsRequest, context: CallContext) =>
      atEdge(context.signal, async () => {
        const albums = await readAllAlbums(sql, context.signal);
        return create(GetAlbumsResponseSchema, { albums: albums.map(toMessage) });
      }),

    getAlbum: (request: GetAlbumRequest, context: CallContext) =>
      atEdge(context.signal, async () => {
        // Any int32 but 0 may name an album; 0 is proto3's "not set".
        if (request.id === 0) {
          throw new AppError(ErrorCode.InvalidArgument, 'id is required (0 names no album)');
        }
        const album = await readAlbum(sql, request.id, context.signal);
        if (!album) throw new AppError(ErrorCode.NotFound, `album ${request.id} does not exist`);
        return toMessage(album);
      }),

    listAlbums: (request: ListAlbumsRequest, context: CallContext) =>
      atEdge(context.signal, async () => {
        const limit = pageSizeOf(request.pageSize);
        const afterId = afterIdOf(request.pageToken);
        const artist = artistOf(request.artist);
        const page = await readAlbumPage(sql, { limit, afterId, artist }, context.signal);
        return create(ListAlbumsResponseSchema, {
          albums: page.items.map(toMessage),
          nextPageToken: page.next ?? '',
        });
      }),

    async *streamAlbums(request: StreamAlbumsRequest, context: CallContext) {
      // A stream holds a pooled connection for as long as its client takes to read it.
      if (!exports.tryEnter()) {
        throw toConnectError(new AppError(ErrorCode.Unavailable, EXPORTS_BUSY));
      }
      try {
        const chunks = streamAlbums(
          sql,
          { artist: artistOf(request.artist) },
          STREAM_CHUNK_ROWS,
          context.signal,
        );
        for await (const albums of chunks) {
          yield create(StreamAlbumsResponseSchema, { albums: albums.map(toMessage) });
        }
      } catch (err: unknown) {
        throw statusOf(err, context.signal);
      } finally {
        exports.leave();
      }
    },
  } satisfies ServiceImpl<typeof MusicService>;
}
