import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** The limits of an album, shared by the REST schema, the event check and the database. */
export const AlbumLimits = {
  maxId: 2147483647,
  maxText: 200,
  maxPrice: 99999999.99,
} as const;

const Text = (description: string, example: string) =>
  Type.String({
    minLength: 1,
    maxLength: AlbumLimits.maxText,
    description: `${description}; 1 to ${AlbumLimits.maxText} characters after trimming`,
    examples: [example],
  });

/** Album fields as clients send them; the id is optional where the server may allocate one. */
export const AlbumFields = {
  id: Type.Integer({
    minimum: 1,
    maximum: AlbumLimits.maxId,
    description: 'Positive 32-bit id',
    examples: [42],
  }),
  title: Text('Album title', 'Blue Train'),
  artist: Text('Artist name', 'John Coltrane'),
  price: Type.Number({
    minimum: 0,
    maximum: AlbumLimits.maxPrice,
    multipleOf: 0.01,
    description: 'Price with at most two decimals',
    examples: [56.99],
  }),
} as const;

/** A stored album: the shape every read returns. */
export const AlbumSchema = Type.Object(AlbumFields, { $id: 'Album', additionalProperties: false });
export type Album = Static<typeof AlbumSchema>;

/** An album whose price is held as integer cents, as the write path carries it. */
export interface AlbumRecord {
  readonly id: number;
  readonly title: string;
  readonly artist: string;
  readonly priceCents: bigint;
}

/** Cents from a price in currency units, rounded half away from zero (float 56.99 → 5699). */
export function toCents(price: number): bigint {
  return BigInt(Math.round(price * 100));
}

/** A price in currency units from cents, exact to two decimals. */
export function fromCents(cents: bigint): number {
  return Number(cents) / 100;
}

/** The decimal text of a cents amount, as PostgreSQL's numeric(10,2) takes it. */
export function centsToDecimal(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

// Events come from any producer, so they are checked with the same limits once decoded.
const RecordCheck = TypeCompiler.Compile(
  Type.Object({
    id: AlbumFields.id,
    title: Type.String({ minLength: 1, maxLength: AlbumLimits.maxText }),
    artist: Type.String({ minLength: 1, maxLength: AlbumLimits.maxText }),
  }),
);
const MAX_CENTS = BigInt(Math.round(AlbumLimits.maxPrice * 100));

/** Why an album record breaks the rules, or null when it keeps them. */
export function albumRecordProblem(album: AlbumRecord): string | null {
  // Check is compiled and allocates nothing; Errors walks the schema, so only a bad album pays.
  if (!RecordCheck.Check(album)) {
    const first = RecordCheck.Errors(album).First();
    return first ? `${first.path.slice(1)}: ${first.message}` : 'does not match the album schema';
  }
  if (album.priceCents < 0n || album.priceCents > MAX_CENTS) {
    return `price: must be between 0 and ${AlbumLimits.maxPrice}`;
  }
  return null;
}
