import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { type Album, fromCents, toCents } from '../../../domain/album.ts';
import { containsText } from '../../../domain/listing.ts';
import { type Album as AlbumMessage, MusicService } from '../../../gen/service/music_pb.js';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import { MAX_MESSAGE_BYTES } from '../../grpc/server.ts';
import { type CliContext, serviceUrl } from '../context.ts';
import { reaching } from '../failure.ts';
import type { ListOptions } from '../list-options.ts';
import { albumTable } from '../output.ts';

/** The deadline of one call; the server cancels its query when it passes. */
const CALL_TIMEOUT_MS = 30_000;
/** A stream may read the whole catalogue (a --query the server cannot apply): a longer bound. */
const STREAM_TIMEOUT_MS = 300_000;

// The status the server sent, back into our error codes (the inverse of the gRPC edge's table).
const CODE_OF_STATUS: Partial<Record<Code, ErrorCode>> = {
  [Code.InvalidArgument]: ErrorCode.InvalidArgument,
  [Code.NotFound]: ErrorCode.NotFound,
  [Code.ResourceExhausted]: ErrorCode.PayloadTooLarge,
  [Code.Unavailable]: ErrorCode.Unavailable,
  [Code.DeadlineExceeded]: ErrorCode.DeadlineExceeded,
};

function fromStatus(err: unknown): unknown {
  if (!(err instanceof ConnectError)) return err;
  return new AppError(
    CODE_OF_STATUS[err.code] ?? ErrorCode.Internal,
    `the gRPC API answered ${Code[err.code]}: ${err.rawMessage}`,
    { cause: err },
  );
}

/** The exact price from price_cents; the float of the original contract when it is absent. */
const toAlbum = (m: AlbumMessage): Album => ({
  id: m.id,
  title: m.title,
  artist: m.artist,
  price: fromCents(m.priceCents ?? toCents(m.price)),
});

type MusicClient = ReturnType<typeof createClient<typeof MusicService>>;

/** Calls the gRPC API on a connection of its own, closed afterwards. */
async function calling<T>(ctx: CliContext, call: (client: MusicClient) => Promise<T>): Promise<T> {
  const config = ctx.config();
  const baseUrl = serviceUrl(config.GRPC_HOST, config.GRPC_PORT);
  const sessions = new Http2SessionManager(baseUrl);
  const client = createClient(
    MusicService,
    createGrpcTransport({ baseUrl, sessionManager: sessions, readMaxBytes: MAX_MESSAGE_BYTES }),
  );
  try {
    return await reaching('the gRPC API', baseUrl, () =>
      call(client).catch((err: unknown) => {
        throw fromStatus(err);
      }),
    );
  } finally {
    sessions.abort();
  }
}

/**
 * `music grpc list`: every album in one GetAlbumList call (the original contract), or, with a
 * filter or a limit, StreamAlbums: the artist filtered by the server, the text here (the gRPC
 * API has none), and the stream cancelled once --limit albums are in.
 */
export async function listAlbums(ctx: CliContext, o: ListOptions): Promise<void> {
  const albums =
    o.limit === undefined && o.artist === undefined && o.query === undefined
      ? (
          await calling(ctx, (client) => client.getAlbumList({}, { timeoutMs: CALL_TIMEOUT_MS }))
        ).albums.map(toAlbum)
      : await calling(ctx, (client) => streamed(client, o));
  ctx.out.result(albums, (width) => albumTable(albums, width));
}

async function streamed(client: MusicClient, o: ListOptions): Promise<Album[]> {
  const limit = o.limit ?? Number.POSITIVE_INFINITY;
  const out: Album[] = [];
  // Cancelled once --limit albums are in: leaving the loop alone would wait for the server to
  // finish a stream nobody reads. The deadline is an unreferenced timer (AbortSignal.timeout),
  // not the call's timeoutMs, whose timer would hold the process for its full length after a
  // cancelled call.
  const enough = new AbortController();
  const deadline = AbortSignal.timeout(STREAM_TIMEOUT_MS);
  try {
    for await (const chunk of client.streamAlbums(
      { artist: o.artist ?? '' },
      { signal: AbortSignal.any([enough.signal, deadline]) },
    )) {
      for (const m of chunk.albums) {
        const album = toAlbum(m);
        if (o.query === undefined || containsText(album, o.query)) out.push(album);
      }
      if (out.length >= limit) {
        enough.abort();
        break;
      }
    }
  } catch (err: unknown) {
    if (deadline.aborted)
      throw new AppError(
        ErrorCode.DeadlineExceeded,
        `StreamAlbums took over ${STREAM_TIMEOUT_MS} ms`,
        {
          cause: err,
        },
      );
    if (!enough.signal.aborted) throw err;
  }
  return out.slice(0, limit);
}

/** `music grpc get`: one album by id (GetAlbum). */
export async function getAlbum(ctx: CliContext, id: number): Promise<void> {
  const album = toAlbum(
    await calling(ctx, (client) => client.getAlbum({ id }, { timeoutMs: CALL_TIMEOUT_MS })),
  );
  ctx.out.result(album, (width) => albumTable([album], width));
}
