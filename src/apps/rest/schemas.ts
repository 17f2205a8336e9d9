import { Type } from '@sinclair/typebox';
import { AlbumFields, AlbumSchema } from '../../domain/album.ts';

/** The most albums one batch request may carry. */
export const MAX_BATCH = 1000;

// Examples shown in OpenAPI; the OpenAPI test checks each against its schema.
const blueTrain = { id: 42, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
const giantSteps = { id: 43, title: 'Giant Steps', artist: 'John Coltrane', price: 63.99 };
const withoutId = ({ id: _, ...album }: typeof blueTrain) => album;

/**
 * A price as requests carry it: protobuf's JSON mapping of `service.Album` leaves out a price of
 * 0 (Go's clients do), so an absent price is 0; any other is rounded to cents when accepted.
 */
const RequestPrice = Type.Optional(
  Type.Number({
    ...AlbumFields.price,
    default: 0,
    description: `${AlbumFields.price.description}; 0 when left out`,
  }),
);

export const AlbumCreate = Type.Object(
  {
    id: Type.Optional(AlbumFields.id),
    title: AlbumFields.title,
    artist: AlbumFields.artist,
    price: RequestPrice,
  },
  {
    additionalProperties: false,
    description: 'An album; without an id the server allocates one',
    examples: [withoutId(blueTrain)],
  },
);

export const AlbumUpsert = Type.Object(
  { ...AlbumFields, price: RequestPrice },
  {
    additionalProperties: false,
    description: 'An album, created or replaced by id',
    examples: [blueTrain],
  },
);

export const batchOf = <T extends typeof AlbumCreate | typeof AlbumUpsert>(item: T) =>
  Type.Array(item, {
    minItems: 1,
    maxItems: MAX_BATCH,
    description: `1 to ${MAX_BATCH} albums`,
    examples: [
      item === AlbumCreate ? [blueTrain, giantSteps].map(withoutId) : [blueTrain, giantSteps],
    ],
  });

/** One album as the API answers it: a price as stored, rounded to cents. */
export const AlbumOut = Type.Object(AlbumFields, {
  additionalProperties: false,
  description: 'The album as it will be stored (the price rounded to cents)',
  examples: [blueTrain],
});

export const AlbumList = Type.Array(AlbumSchema, {
  description: 'Albums sorted by id',
  examples: [[blueTrain, giantSteps]],
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ pointer: Type.String(), detail: Type.String() }), {
        description: 'One entry per invalid field, as a JSON pointer into the request',
      }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** The request header whose id follows the request into logs and onto the Kafka records. */
export const RequestIdHeaders = Type.Object({
  'x-request-id': Type.Optional(
    Type.String({
      description:
        'An id for this request (1 to 128 of A-Z a-z 0-9 _ . : -); it is logged, answered in ' +
        'the x-request-id header and put on every Kafka record the request produces. Others ' +
        'are replaced by a new UUID.',
      examples: ['abc-123'],
    }),
  ),
});

/** The headers of a write: the request id, and the Idempotency-Key that makes a retry safe. */
export const WriteHeaders = Type.Object({
  ...RequestIdHeaders.properties,
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'A key of 1 to 255 printable ASCII characters (draft-ietf-httpapi-idempotency-key-' +
        'header; quoted or bare), new for each write. A retry with the same key and body within ' +
        '24 hours gets the first answer again (same ids) and writes nothing; the same key with ' +
        'another body is 422, and while the first request is in flight 409. Keys are kept per ' +
        'method and route.',
      examples: ['"8e03978e-40d5-43e8-bc93-6894a57f9324"'],
    }),
  ),
});

/** The headers of a write of one album: a write's, and `Prefer` for read-your-writes. */
export const SingleWriteHeaders = Type.Object({
  ...WriteHeaders.properties,
  prefer: Type.Optional(
    Type.String({
      description:
        'RFC 7240. `wait=N`: answer once a consumer stored the album (201 with it as stored), ' +
        'or after N seconds (202; at most 10 are waited). Other preferences are ignored.',
      examples: ['wait=5'],
    }),
  ),
});

export { AlbumSchema };
