import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

// The shape of an album in an answer, not the album rules: those are the server's to apply (a
// price comes back as it is or will be stored, rounded to cents by domain/price.ts).
const AnsweredAlbum = Type.Object({
  id: Type.Integer(),
  title: Type.String(),
  artist: Type.String(),
  price: Type.Number(),
});

/** Checks an answer that carries one album. */
export const OneAlbum = TypeCompiler.Compile(AnsweredAlbum);
/** Checks an answer that carries a list of albums. */
export const AlbumList = TypeCompiler.Compile(Type.Array(AnsweredAlbum));
