import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Album, AlbumSubmission } from '../../domain/album.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';
import { readProblem } from '../../shared/problem-details.ts';

export type WriteMethod = 'POST' | 'PUT';

export interface AlbumApiClientOptions {
  /** Where the REST API answers, such as http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** A request not answered within this many milliseconds fails as deadline_exceeded. */
  readonly timeoutMs: number;
}

/** The album writes of the REST API, as a client sees them. */
export interface AlbumApiClient {
  /** POST or PUT /api/v1/album: the album as the API accepted it (with its id). */
  writeOne(method: WriteMethod, album: AlbumSubmission): Promise<Album>;
  /** POST or PUT /api/v1/albums: the albums as accepted, in the order sent. */
  writeBatch(method: WriteMethod, albums: readonly AlbumSubmission[]): Promise<Album[]>;
}

// The shape of an answer, not the album rules: those are the server's to apply (and TypeBox's
// multipleOf on floats would refuse prices such as 1).
const AnsweredAlbum = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  artist: Type.String(),
  price: Type.Number(),
});
const OneAlbum = TypeCompiler.Compile(AnsweredAlbum);
const AlbumList = TypeCompiler.Compile(Type.Array(AnsweredAlbum));

// The answer's status read back into our error codes (the inverse of the REST edge's table).
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: ErrorCode.InvalidArgument,
  404: ErrorCode.NotFound,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  // Rate limited or overloaded: the caller may retry later, like any unavailable service.
  429: ErrorCode.RateLimited,
  503: ErrorCode.Unavailable,
  504: ErrorCode.DeadlineExceeded,
};

/** The problem+json answer of a failed request as an AppError carrying its fields. */
async function problemError(res: Response): Promise<AppError> {
  const { message, fields } = await readProblem(res);
  const where = fields.map((f) => `${f.pointer} ${f.detail}`).join('; ');
  return new AppError(
    CODE_OF_STATUS[res.status] ?? ErrorCode.Internal,
    `the REST API answered ${res.status}: ${message ?? res.statusText}${where ? ` (${where})` : ''}`,
    { fields },
  );
}

/** A client of the REST API's album writes on fetch, keeping its connections alive. */
export function createAlbumApiClient(o: AlbumApiClientOptions): AlbumApiClient {
  async function send(path: string, method: WriteMethod, body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, o.baseUrl), {
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err: unknown) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new AppError(
          ErrorCode.DeadlineExceeded,
          `the REST API did not answer within ${o.timeoutMs} ms`,
          { cause: err },
        );
      }
      // fetch fails this way only when no HTTP answer came: refused, reset, unresolvable...
      throw new AppError(ErrorCode.Unavailable, 'no answer', { cause: err });
    }
    if (res.status !== 202) throw await problemError(res);
    return res.json();
  }

  const unexpected = (path: string) =>
    new AppError(ErrorCode.Internal, `the REST API answered ${path} with an unexpected body`);

  return {
    async writeOne(method, album) {
      const body = await send('/api/v1/album', method, album);
      if (!OneAlbum.Check(body)) throw unexpected('/api/v1/album');
      return body;
    },
    async writeBatch(method, albums) {
      const body = await send('/api/v1/albums', method, albums);
      if (!AlbumList.Check(body) || body.length !== albums.length)
        throw unexpected('/api/v1/albums');
      return body;
    },
  };
}
