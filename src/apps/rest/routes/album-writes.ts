import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AlbumSubmission, albumRuleProblems } from '../../../domain/album.ts';
import {
  type AcceptOptions,
  acceptAlbums,
  type IntakePorts,
} from '../../../services/album-intake.ts';
import { AppError, ErrorCode, type FieldProblem } from '../../../shared/errors.ts';
import {
  type IdempotencyStore,
  idempotencyKeyOf,
  keyHeaderOf,
  keyInUse,
  keyReused,
  runOnce,
  type StoredAnswer,
} from '../idempotency.ts';
import { MAX_WAIT_S, preferredWait } from '../prefer-wait.ts';
import { problemResponse } from '../problem-responses.ts';
import {
  AlbumCreate,
  AlbumList,
  AlbumOut,
  AlbumUpsert,
  batchOf,
  MAX_BATCH,
  SingleWriteHeaders,
  WriteHeaders,
} from '../schemas.ts';
import type { StoredWatch } from '../stored-watch.ts';

export interface AlbumWriteDeps {
  readonly intake: IntakePorts;
  /**
   * Where Idempotency-Keys live, shared by every REST process; without it (apps built with no
   * database, in tests) a write that sends the header is refused with 503.
   */
  readonly idempotencyKeys?: IdempotencyStore | undefined;
  /** Read-your-writes (`Prefer: wait`); without it writes answer 202 whatever they prefer. */
  readonly stored?: StoredWatch | undefined;
}

/** The headers of a single write's 201 and 202, as OpenAPI shows them. */
const writtenHeaders = {
  location: { type: 'string', description: 'The album: `/api/v1/albums/{id}`' },
  'preference-applied': {
    type: 'string',
    description: '`wait=N` when the request preferred to wait (`Prefer: wait=N`)',
  },
};

/** The error answers of a write, with examples as clients get them at `url`. */
function errorsOf(url: string, batch: boolean) {
  return {
    400: problemResponse(
      'The body does not match the schema (`errors` points at each bad field), or the ' +
        'Idempotency-Key header is malformed',
      new AppError(ErrorCode.InvalidArgument, 'The request body is invalid', {
        fields: [{ pointer: batch ? '/1/price' : '/price', detail: 'must be < 99999999.995' }],
      }),
      url,
    ),
    413: problemResponse(
      batch ? `More than ${MAX_BATCH} albums, or a body over 1 MiB` : 'A body over 1 MiB',
      batch
        ? new AppError(
            ErrorCode.PayloadTooLarge,
            `A batch holds at most ${MAX_BATCH} albums (got ${MAX_BATCH + 1})`,
          )
        : new AppError(ErrorCode.PayloadTooLarge, 'The body is larger than 1 MiB'),
      url,
    ),
    415: problemResponse(
      'The body is not sent as application/json',
      new AppError(ErrorCode.UnsupportedMediaType, 'Send the body as application/json'),
      url,
    ),
    409: problemResponse(
      'A request with this Idempotency-Key is in flight; a retry later gets its answer',
      keyInUse(),
      url,
    ),
    422: problemResponse(
      'This Idempotency-Key was used with another body (within 24 hours)',
      keyReused(),
      url,
    ),
    503: problemResponse(
      'Kafka did not acknowledge every album in time: nothing may be assumed written; retry',
      new AppError(ErrorCode.Unavailable, 'Kafka did not acknowledge the message'),
      url,
    ),
  };
}

// Text fields are checked after trimming, so trimming happens before validation.
function trimAlbum(item: unknown): void {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
  const album = item as Record<string, unknown>;
  for (const key of ['title', 'artist']) {
    if (typeof album[key] === 'string') album[key] = album[key].trim();
  }
}

const send = (reply: FastifyReply, { status, headers, body }: StoredAnswer) =>
  reply.status(status).headers(headers).send(body);

/**
 * POST/PUT of one album or of a batch: 202 once every album is on the Kafka topic. With an
 * Idempotency-Key, a retry gets the first answer again and publishes nothing.
 */
export const albumWriteRoutes: FastifyPluginAsyncTypebox<AlbumWriteDeps> = async (
  app,
  { intake, idempotencyKeys, stored },
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

  // After the schema: the rules it cannot state, for every album, all reported at once.
  app.addHook('preHandler', async (request) => {
    const body = request.body as AlbumSubmission | AlbumSubmission[];
    const albums = Array.isArray(body) ? body : [body];
    const fields: FieldProblem[] = albums.flatMap((album, i) =>
      albumRuleProblems(album).map(({ field, detail }) => ({
        pointer: Array.isArray(body) ? `/${i}/${field}` : `/${field}`,
        detail,
      })),
    );
    if (fields.length > 0) {
      throw new AppError(ErrorCode.InvalidArgument, 'The request body is invalid', { fields });
    }
  });

  const headersOf = (request: { id: string }): AcceptOptions => ({
    headers: { 'x-request-id': request.id },
  });

  // Without the header nothing changes: no query is added to the write.
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    write: () => Promise<StoredAnswer>,
  ) => {
    const key = idempotencyKeyOf(keyHeaderOf(request.raw.rawHeaders));
    if (key === undefined) return send(reply, await write());
    if (!idempotencyKeys) {
      throw new AppError(ErrorCode.Unavailable, 'Idempotency-Key is not available here');
    }
    const scope = { key, method: request.method, path: request.routeOptions.url ?? request.url };
    const outcome = await runOnce(
      idempotencyKeys,
      scope,
      request.body,
      write,
      request.log,
      (err) => intake.mayHaveWritten?.(err) ?? false,
    ).catch((err: unknown) => {
      // The error handler keeps headers already set: the 409 tells clients when to come back.
      if (err instanceof AppError && err.code === ErrorCode.Conflict) {
        reply.header('retry-after', '1');
      }
      throw err;
    });
    return send(reply, outcome.answer);
  };

  for (const method of ['POST', 'PUT'] as const) {
    const create = method === 'POST';
    app.route({
      method,
      url: '/api/v1/album',
      schema: {
        tags: ['albums'],
        summary: create ? 'Create an album' : 'Create or replace an album by id',
        description:
          'Answers 202 once Kafka acknowledged the album; it is readable after the consumers ' +
          'stored it: until then its `Location` may answer 404. With `Prefer: wait=N` (seconds, ' +
          `at most ${MAX_WAIT_S}) the answer waits until a consumer stored it and is 201 with ` +
          'the album as stored, or 202 when the wait ends first; both say ' +
          '`Preference-Applied: wait=N`.',
        headers: SingleWriteHeaders,
        body: create ? AlbumCreate : AlbumUpsert,
        response: {
          201: {
            ...AlbumOut,
            description: 'Stored (with `Prefer: wait`): the album as a read answers it',
            headers: writtenHeaders,
          },
          202: { ...AlbumOut, headers: writtenHeaders },
          ...errorsOf('/api/v1/album', false),
        },
      },
      handler: (request, reply) =>
        answer(request, reply, async () => {
          const wait = preferredWait(request.headers.prefer);
          // Watching from before the publish: the notification cannot come before the wait.
          const watch = wait === undefined ? null : await stored?.watch();
          try {
            const [album] = await acceptAlbums(intake, [request.body], headersOf(request));
            if (!album) throw new AppError(ErrorCode.Internal, 'No album was accepted');
            const headers: Record<string, string> = { location: `/api/v1/albums/${album.id}` };
            if (!watch) return { status: 202, headers, body: album };
            headers['preference-applied'] = `wait=${wait}`;
            const row = await watch.stored(album, Date.now() + (wait ?? 0) * 1000);
            return row
              ? { status: 201, headers, body: row }
              : { status: 202, headers, body: album };
          } finally {
            watch?.close();
          }
        }),
    });
    app.route({
      method,
      url: '/api/v1/albums',
      bodyLimit: 1024 * 1024,
      schema: {
        tags: ['albums'],
        summary: create ? 'Create a batch of albums' : 'Create or replace a batch of albums by id',
        description:
          'All or nothing: one invalid album rejects the whole batch. Answers 202 once Kafka ' +
          'acknowledged every album, in the order sent.',
        headers: WriteHeaders,
        body: batchOf(create ? AlbumCreate : AlbumUpsert),
        response: { 202: AlbumList, ...errorsOf('/api/v1/albums', true) },
      },
      handler: (request, reply) =>
        answer(request, reply, async () => ({
          status: 202,
          headers: {},
          body: await acceptAlbums(intake, request.body, headersOf(request)),
        })),
    });
  }
};
