import { Type } from '@sinclair/typebox';
import { AlbumFields, AlbumSchema } from '../../domain/album.ts';

/** The most albums one batch request may carry. */
export const MAX_BATCH = 1000;

export const AlbumCreate = Type.Object(
  {
    id: Type.Optional(AlbumFields.id),
    title: AlbumFields.title,
    artist: AlbumFields.artist,
    price: AlbumFields.price,
  },
  { additionalProperties: false, description: 'An album; without an id the server allocates one' },
);

export const AlbumUpsert = Type.Object(AlbumFields, {
  additionalProperties: false,
  description: 'An album, created or replaced by id',
});

export const batchOf = <T extends typeof AlbumCreate | typeof AlbumUpsert>(item: T) =>
  Type.Array(item, { minItems: 1, maxItems: MAX_BATCH, description: `1 to ${MAX_BATCH} albums` });

export const AlbumList = Type.Array(AlbumSchema);

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

export { AlbumSchema };
