import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AlbumFields } from '../../../domain/album.ts';
import { type AlbumReads, decodeCursor, PageSize, refuseNul } from '../../../domain/listing.ts';
import { AppError, ErrorCode, type FieldProblem } from '../../../shared/errors.ts';
import { problemResponse } from '../problem-responses.ts';
import { AlbumList, AlbumOut } from '../schemas.ts';

export interface AlbumReadDeps {
  readonly albums: AlbumReads;
}

const ListQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: PageSize.max,
      default: PageSize.default,
      description: 'Albums per page',
    }),
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

/** The 400 answer of a request part that fails its schema, with one field as the example. */
const invalidPart = (
  description: string,
  part: 'querystring' | 'params',
  field: FieldProblem,
  url: string,
) =>
  problemResponse(
    description,
    new AppError(ErrorCode.InvalidArgument, `The request ${part} is invalid`, { fields: [field] }),
    url,
  );

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
        400: invalidPart(
          'A query parameter is invalid, or the cursor is not one this API gave out',
          'querystring',
          { pointer: '/limit', detail: `must be <= ${PageSize.max}` },
          '/api/v1/albums?limit=1000',
        ),
      },
    },
    handler: async (request, reply) => {
      const { limit, cursor, artist, q } = request.query;
      refuseNul({ artist, q });
      // Cursors of the REST API's first format (JSON) stay valid: clients may hold Link URLs.
      const afterId =
        cursor === undefined
          ? undefined
          : decodeCursor(cursor, { name: 'cursor', acceptJson: true });
      const page = await albums.list({ limit, afterId, artist, q });
      if (page.next !== null) {
        const next = new URLSearchParams({ limit: String(limit), cursor: page.next });
        if (artist) next.set('artist', artist);
        if (q) next.set('q', q);
        reply.header('link', `</api/v1/albums?${next}>; rel="next"`);
      }
      return page.items;
    },
  });

  app.get('/api/v1/albums/:id', {
    schema: {
      tags: ['albums'],
      summary: 'Get one album',
      params: Type.Object({ id: AlbumFields.id }),
      response: {
        200: AlbumOut,
        400: invalidPart(
          'The id is not a 32-bit integer',
          'params',
          { pointer: '/id', detail: 'must be <= 2147483647' },
          '/api/v1/albums/2147483648',
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
