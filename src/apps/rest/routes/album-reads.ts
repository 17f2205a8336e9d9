import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { AlbumFields } from '../../../domain/album.ts';
import { BY_ID, formatSort, parseSort, SORT_FIELDS } from '../../../domain/album-sort.ts';
import { decodeSortCursor } from '../../../domain/keyset.ts';
import {
  type AlbumReads,
  EXACT_TOTAL_UP_TO,
  PageSize,
  refuseNul,
} from '../../../domain/listing.ts';
import { AppError, ErrorCode, type FieldProblem } from '../../../shared/errors.ts';
import type { GenerationCache } from '../../../shared/generation-cache.ts';
import { etagged, ifNoneMatches, weakTag } from '../etag.ts';
import { problemResponse } from '../problem-responses.ts';
import { AlbumList, AlbumOut } from '../schemas.ts';

export interface AlbumReadDeps {
  readonly albums: AlbumReads;
  /**
   * List answers kept until the albums table changes (createGenerationCache: never older than a
   * read begun after the last commit before the request); absent where reads may lag the
   * commits that the generations hear of (a standby), and in tests of the routes alone.
   */
  readonly answers?: GenerationCache<ListAnswer> | undefined;
}

/** A list answer as sent: its body, the headers that describe it, and its tag. */
export interface ListAnswer {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly etag: string;
}

// Kept answers are shared by requests, so no request's going away may cancel the read.
const NEVER = new AbortController().signal;

// A cursor holds the sort and the last album's values of its fields: two titles of 200
// characters at most, base64url encoded.
const MAX_CURSOR = 2048;

const ListQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: PageSize.max,
        default: PageSize.default,
        description: 'Albums per page',
      }),
    ),
    cursor: Type.Optional(
      Type.String({
        maxLength: MAX_CURSOR,
        description:
          'Opaque position from a Link header; valid only with the sort it was given out for',
      }),
    ),
    sort: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          `Order: fields from ${SORT_FIELDS.join(', ')} separated by commas, each descending ` +
          'with a leading `-`; ties are broken by id in the direction of the last field ' +
          '(default: id)',
        examples: ['-price,title'],
      }),
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

const ETAG_HEADER = {
  type: 'string',
  description: 'Weak validator of the answer; send it back in If-None-Match to get a 304',
};

const NOT_MODIFIED = {
  description: 'The answer is still the one If-None-Match names (no body)',
  type: 'null',
};

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
  { albums, answers },
) => {
  app.get('/api/v1/albums', {
    // The total is part of what a list answer says: a new album elsewhere changes its tag.
    onSend: etagged(['x-total-count']),
    schema: {
      tags: ['albums'],
      summary: 'List albums',
      description:
        'Sorted by `sort` (id by default), a page at a time. The `Link` header (RFC 8288) holds ' +
        'the first page (rel="first"), the next when more albums follow (rel="next") and the ' +
        'previous unless this is the first (rel="prev"); their cursors name a position in the ' +
        'order, so albums written meanwhile are neither skipped nor repeated. `X-Total-Count` ' +
        `tells how many albums match: exact up to ${EXACT_TOTAL_UP_TO.toLocaleString('en')}, ` +
        "above that PostgreSQL's estimate, marked by `X-Total-Count-Estimated: true`.",
      querystring: ListQuery,
      response: {
        200: {
          ...AlbumList,
          description: 'A page of albums in the order asked for',
          headers: {
            link: {
              type: 'string',
              description: 'RFC 8288: rel="next", rel="prev" (each when there is one), rel="first"',
            },
            'x-total-count': {
              type: 'integer',
              description: `Albums matching the filters: exact up to ${EXACT_TOTAL_UP_TO}, else an estimate`,
            },
            'x-total-count-estimated': {
              type: 'string',
              enum: ['true'],
              description: 'Present when X-Total-Count is an estimate',
            },
            etag: ETAG_HEADER,
          },
        },
        304: NOT_MODIFIED,
        400: invalidPart(
          'A query parameter is invalid, or the cursor is not one this API gave out',
          'querystring',
          { pointer: '/limit', detail: `must be <= ${PageSize.max}` },
          '/api/v1/albums?limit=1000',
        ),
      },
    },
    handler: async (request, reply) => {
      if (answers === undefined) {
        const { headers, items } = await listPage(request.query);
        for (const [name, value] of Object.entries(headers)) reply.header(name, value);
        return items;
      }
      const answer = await answers.get(
        `list\n${request.url}`,
        async () => {
          const { headers, items } = await listPage(request.query);
          // The route's own serializer (its response schema), as for an answer not kept.
          const body = String(reply.serialize(items));
          // The tag etagged() would give it: the total's line, then the body.
          return { headers, body, etag: weakTag(`${headers['x-total-count']}\n`, body) };
        },
        NEVER,
      );
      for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
      // Tagged once when kept: the onSend hook leaves a tagged answer alone.
      reply.header('etag', answer.etag);
      if (ifNoneMatches(request.headers['if-none-match'], answer.etag)) {
        reply.code(304);
        return reply.send();
      }
      reply.type('application/json; charset=utf-8');
      return reply.send(answer.body);
    },
  });

  /** One page of the listing and the headers that describe it (Link, totals). */
  async function listPage(query: Static<typeof ListQuery>) {
    const { limit = PageSize.default, cursor, artist, q } = query;
    refuseNul({ artist, q });
    const sort = query.sort === undefined ? BY_ID : parseSort(query.sort);
    // Cursors of the id-only API (a1:, and JSON before it) stay valid for the order by id.
    const from = cursor === undefined ? undefined : decodeSortCursor(cursor, sort);
    const [page, total] = await Promise.all([
      albums.list({ limit, artist, q, sort, from }),
      albums.count({ artist, q }),
    ]);
    const headers: Record<string, string> = { 'x-total-count': String(total.count) };
    if (total.estimated) headers['x-total-count-estimated'] = 'true';
    // The page's own query once; each relation adds its cursor (base64url: nothing to escape).
    const params = new URLSearchParams({ limit: String(limit) });
    if (query.sort !== undefined) params.set('sort', formatSort(sort));
    if (artist) params.set('artist', artist);
    if (q) params.set('q', q);
    const base = `</api/v1/albums?${params}`;
    const links = [`${base}>; rel="first"`];
    if (page.prev !== null) links.unshift(`${base}&cursor=${page.prev}>; rel="prev"`);
    if (page.next !== null) links.unshift(`${base}&cursor=${page.next}>; rel="next"`);
    headers.link = links.join(', ');
    return { headers, items: page.items };
  }

  app.get('/api/v1/albums/:id', {
    onSend: etagged(),
    schema: {
      tags: ['albums'],
      summary: 'Get one album',
      params: Type.Object({ id: AlbumFields.id }),
      response: {
        200: { ...AlbumOut, headers: { etag: ETAG_HEADER } },
        304: NOT_MODIFIED,
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
