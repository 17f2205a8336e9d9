import { Type } from '@sinclair/typebox';
import { AlbumFields, AlbumSchema } from '../../domain/album.ts';

/** The most albums one batch request may carry. */
export const MAX_BATCH = 1000;

// Examples shown in OpenAPI; the OpenAPI test checks each against its schema.
const blueTrain = { id: 42, title: 'Blue Train', artist: 'John Coltrane', price: 56.99 };
const giantSteps = { id: 43, title: 'Giant Steps', artist: 'John Coltrane', price: 63.99 };
const withoutId = ({ id: _, ...album }: typeof blueTrain) => album;

export const AlbumCreate = Type.Object(
  {
    id: Type.Optional(AlbumFields.id),
    title: AlbumFields.title,
    artist: AlbumFields.artist,
    price: AlbumFields.price,
  },
  {
    additionalProperties: false,
    description: 'An album; without an id the server allocates one',
    examples: [withoutId(blueTrain)],
  },
);

export const AlbumUpsert = Type.Object(AlbumFields, {
  additionalProperties: false,
  description: 'An album, created or replaced by id',
  examples: [blueTrain],
});

export const batchOf = <T extends typeof AlbumCreate | typeof AlbumUpsert>(item: T) =>
  Type.Array(item, {
    minItems: 1,
    maxItems: MAX_BATCH,
    description: `1 to ${MAX_BATCH} albums`,
    examples: [
      item === AlbumCreate ? [blueTrain, giantSteps].map(withoutId) : [blueTrain, giantSteps],
    ],
  });

/** One album as the API answers it. */
export const AlbumOut = Type.Object(AlbumFields, {
  additionalProperties: false,
  description: 'The album',
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

export { AlbumSchema };
