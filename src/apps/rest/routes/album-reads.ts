import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AlbumRepository } from '../../../adapters/db/orm/album-repository.ts';
import { AlbumFields } from '../../../domain/album.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import { problemResponse } from '../problem-responses.ts';
import { AlbumList, AlbumOut } from '../schemas.ts';

export interface AlbumReadDeps {
  readonly albums: Pick<AlbumRepository, 'list' | 'get'>;
}

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Albums per page' }),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: 'Opaque position from a Link header' }),
    ),
    artist: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Exact artist, any case',
        examples: ['John Coltrane'],
      }),
    ),
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Text in the title or artist, any case',
        examples: ['train'],
      }),
    ),
  },
  { additionalProperties: false },
);

// The cursor names the last id of the previous page; it is opaque so that it may change.
const encodeCursor = (lastId: number) =>
  Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');

function decodeCursor(cursor: string): number {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (Number.isInteger(after) && (after as number) >= 0) return after as number;
  } catch {}
  throw new AppError(ErrorCode.InvalidArgument, 'The cursor is not one this API gave out', {
    fields: [{ pointer: '/cursor', detail: 'is not a valid cursor' }],
  });
}

// PostgreSQL text cannot hold NUL, so a filter with one could only fail in the database.
function refuseNul(filters: Record<string, string | undefined>): void {
  const fields = Object.entries(filters)
    .filter(([, value]) => value?.includes('\u0000'))
    .map(([name]) => ({ pointer: `/${name}`, detail: 'must not contain NUL characters' }));
  if (fields.length > 0) {
    throw new AppError(ErrorCode.InvalidArgument, 'The request querystring is invalid', { fields });
  }
}

/** Album reads through the ORM, sorted by id, with keyset pagination and RFC 8288 links. */
export const albumReadRoutes: FastifyPluginAsyncTypebox<AlbumReadDeps> = async (
  app,
  { albums },
) => {
  app.get('/api/v1/albums', {
    schema: {
      tags: ['albums'],
      summary: 'List albums',
      description:
        'Sorted by id. When more albums follow, the `Link` header holds the next page (rel="next").',
      querystring: ListQuery,
      response: {
        200: AlbumList,
        400: problemResponse(
          'A query parameter is invalid, or the cursor is not one this API gave out',
          new AppError(ErrorCode.InvalidArgument, 'The request querystring is invalid', {
            fields: [{ pointer: '/limit', detail: 'must be <= 500' }],
          }),
          '/api/v1/albums?limit=1000',
        ),
      },
    },
    handler: async (request, reply) => {
      const { limit, cursor, artist, q } = request.query;
      refuseNul({ artist, q });
      const afterId = cursor === undefined ? undefined : decodeCursor(cursor);
      const page = await albums.list({ limit, afterId, artist, q });
      const last = page.albums.at(-1);
      if (page.hasMore && last) {
        const next = new URLSearchParams({ limit: String(limit), cursor: encodeCursor(last.id) });
        if (artist) next.set('artist', artist);
        if (q) next.set('q', q);
        reply.header('link', `</api/v1/albums?${next}>; rel="next"`);
      }
      return page.albums;
    },
  });

  app.get('/api/v1/albums/:id', {
    schema: {
      tags: ['albums'],
      summary: 'Get one album',
      params: Type.Object({ id: AlbumFields.id }),
      response: {
        200: AlbumOut,
        400: problemResponse(
          'The id is not a positive 32-bit integer',
          new AppError(ErrorCode.InvalidArgument, 'The request params is invalid', {
            fields: [{ pointer: '/id', detail: 'must be >= 1' }],
          }),
          '/api/v1/albums/0',
        ),
        404: problemResponse(
          'No album has this id (yet: a write is stored shortly after its 202)',
          new AppError(ErrorCode.NotFound, 'No album has id 42'),
          '/api/v1/albums/42',
        ),
      },
    },
    handler: async (request) => {
      const album = await albums.get(request.params.id);
      if (!album) throw new AppError(ErrorCode.NotFound, `No album has id ${request.params.id}`);
      return album;
    },
  });
};
