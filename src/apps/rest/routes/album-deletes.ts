import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AlbumFields } from '../../../domain/album.ts';
import { deleteAlbums, type IntakePorts } from '../../../services/album-intake.ts';
import { AppError, ErrorCode, type FieldProblem } from '../../../shared/errors.ts';
import { problemResponse } from '../problem-responses.ts';
import { MAX_BATCH, RequestIdHeaders } from '../schemas.ts';

export interface AlbumDeleteDeps {
  readonly intake: Pick<IntakePorts, 'publish'>;
}

/** The batch delete's path; `::` is Fastify's escape of a literal colon (AIP-136 custom method). */
const BATCH_URL = '/api/v1/albums::delete';
const BATCH_PATH = '/api/v1/albums:delete';

const DeleteBatch = Type.Object(
  {
    ids: Type.Array(AlbumFields.id, {
      minItems: 1,
      maxItems: MAX_BATCH,
      description: `1 to ${MAX_BATCH} album ids; an id named twice is deleted once`,
    }),
  },
  { additionalProperties: false, examples: [{ ids: [42, 43] }] },
);

const Deleted = Type.Object(
  { id: AlbumFields.id },
  {
    additionalProperties: false,
    description: 'The id whose delete is on the topic',
    examples: [{ id: 42 }],
  },
);

const DeletedBatch = Type.Object(
  { ids: Type.Array(AlbumFields.id) },
  {
    additionalProperties: false,
    description: 'The ids whose deletes are on the topic, each once, in the order sent',
    examples: [{ ids: [42, 43] }],
  },
);

const invalid = (fields: FieldProblem[], part: 'params' | 'body') =>
  new AppError(ErrorCode.InvalidArgument, `The request ${part} is invalid`, { fields });

const ZERO = 'must not be 0 (no album has it)';

const unavailable = (url: string) =>
  problemResponse(
    'Kafka did not acknowledge every delete in time: nothing may be assumed deleted; retry',
    new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge the message'),
    url,
  );

const DESCRIPTION =
  'The delete travels as a Kafka tombstone (the album id as key, a null value) on the ' +
  "album's partition; the consumers then delete the row in order with the album's other " +
  'changes: a later write recreates it, an earlier one never does. Answers 202 once the ' +
  'tombstone is on the topic; the album reads as 404 once a consumer applied it. An id that ' +
  'names no album is accepted too (deleting is idempotent).';

/** DELETE of one album and a batch delete, both through Kafka like every change. */
export const albumDeleteRoutes: FastifyPluginAsyncTypebox<AlbumDeleteDeps> = async (
  app,
  { intake },
) => {
  const headersOf = (request: { id: string }) => ({ headers: { 'x-request-id': request.id } });

  app.delete('/api/v1/albums/:id', {
    schema: {
      tags: ['albums'],
      summary: 'Delete an album',
      description: DESCRIPTION,
      headers: RequestIdHeaders,
      params: Type.Object({ id: AlbumFields.id }),
      response: {
        202: Deleted,
        400: problemResponse(
          'The id is not a 32-bit integer, or is 0',
          invalid([{ pointer: '/id', detail: ZERO }], 'params'),
          '/api/v1/albums/0',
        ),
        503: unavailable('/api/v1/albums/42'),
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params;
      if (id === 0) throw invalid([{ pointer: '/id', detail: ZERO }], 'params');
      await deleteAlbums(intake, [id], headersOf(request));
      return reply.status(202).send({ id });
    },
  });

  app.post(BATCH_URL, {
    bodyLimit: 1024 * 1024,
    // Too many ids is a size problem (413), as for batch writes, not a shape problem (400).
    preValidation: async (request) => {
      const ids = (request.body as { ids?: unknown } | null)?.ids;
      if (Array.isArray(ids) && ids.length > MAX_BATCH) {
        throw new AppError(
          ErrorCode.PayloadTooLarge,
          `A batch holds at most ${MAX_BATCH} ids (got ${ids.length})`,
        );
      }
    },
    schema: {
      tags: ['albums'],
      summary: 'Delete a batch of albums',
      description: `${DESCRIPTION} All or nothing: the tombstones go in one Kafka transaction.`,
      headers: RequestIdHeaders,
      body: DeleteBatch,
      response: {
        202: DeletedBatch,
        400: problemResponse(
          'The body does not match the schema (`errors` points at each bad id), or an id is 0',
          invalid([{ pointer: '/ids/1', detail: ZERO }], 'body'),
          BATCH_PATH,
        ),
        413: problemResponse(
          `More than ${MAX_BATCH} ids, or a body over 1 MiB`,
          new AppError(
            ErrorCode.PayloadTooLarge,
            `A batch holds at most ${MAX_BATCH} ids (got ${MAX_BATCH + 1})`,
          ),
          BATCH_PATH,
        ),
        415: problemResponse(
          'The body is not sent as application/json',
          new AppError(ErrorCode.UnsupportedMediaType, 'Send the body as application/json'),
          BATCH_PATH,
        ),
        503: unavailable(BATCH_PATH),
      },
    },
    handler: async (request, reply) => {
      const { ids } = request.body;
      const zeros = ids.flatMap((id, i) =>
        id === 0 ? [{ pointer: `/ids/${i}`, detail: ZERO }] : [],
      );
      if (zeros.length > 0) throw invalid(zeros, 'body');
      return reply.status(202).send({ ids: await deleteAlbums(intake, ids, headersOf(request)) });
    },
  });
};
