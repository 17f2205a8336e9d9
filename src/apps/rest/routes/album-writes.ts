import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type AcceptOptions,
  acceptAlbums,
  type IntakePorts,
} from '../../../services/album-intake.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import {
  AlbumCreate,
  AlbumList,
  AlbumSchema,
  AlbumUpsert,
  batchOf,
  MAX_BATCH,
  ProblemSchema,
} from '../schemas.ts';

export interface AlbumWriteDeps {
  readonly intake: IntakePorts;
}

const errors = { 400: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 503: ProblemSchema };

// Text fields are checked after trimming, so trimming happens before validation.
function trimAlbum(item: unknown): void {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
  const album = item as Record<string, unknown>;
  for (const key of ['title', 'artist']) {
    if (typeof album[key] === 'string') album[key] = album[key].trim();
  }
}

/** POST/PUT of one album or of a batch: 202 once every album is on the Kafka topic. */
export const albumWriteRoutes: FastifyPluginAsyncTypebox<AlbumWriteDeps> = async (
  app,
  { intake },
) => {
  app.addHook('preValidation', async (request) => {
    const body: unknown = request.body;
    if (Array.isArray(body)) {
      // Too many items is a size problem (413), not a shape problem (400).
      if (body.length > MAX_BATCH) {
        throw new AppError(
          ErrorCode.PayloadTooLarge,
          `A batch holds at most ${MAX_BATCH} albums (got ${body.length})`,
        );
      }
      body.forEach(trimAlbum);
    } else trimAlbum(body);
  });

  const headersOf = (request: { id: string }): AcceptOptions => ({
    headers: { 'x-request-id': request.id },
  });

  for (const method of ['POST', 'PUT'] as const) {
    const create = method === 'POST';
    app.route({
      method,
      url: '/api/v1/album',
      schema: {
        tags: ['albums'],
        summary: create ? 'Create an album' : 'Create or replace an album by id',
        body: create ? AlbumCreate : AlbumUpsert,
        response: { 202: AlbumSchema, ...errors },
      },
      handler: async (request, reply) => {
        const [album] = await acceptAlbums(intake, [request.body], headersOf(request));
        if (!album) throw new AppError(ErrorCode.Internal, 'No album was accepted');
        return reply.status(202).header('location', `/api/v1/albums/${album.id}`).send(album);
      },
    });
    app.route({
      method,
      url: '/api/v1/albums',
      bodyLimit: 1024 * 1024,
      schema: {
        tags: ['albums'],
        summary: create ? 'Create a batch of albums' : 'Create or replace a batch of albums by id',
        description: 'All or nothing: one invalid album rejects the whole batch.',
        body: batchOf(create ? AlbumCreate : AlbumUpsert),
        response: { 202: AlbumList, ...errors },
      },
      handler: async (request, reply) =>
        reply.status(202).send(await acceptAlbums(intake, request.body, headersOf(request))),
    });
  }
};
