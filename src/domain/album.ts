import { type Static, Type } from '@sinclair/typebox';
import { PRICE_CEILING, PriceLimits } from './price.ts';

export { fromCents, toCents } from './price.ts';

/**
 * The limits of an album, shared by the REST schema, the event check and the database. Ids are
 * any int32 but 0, as the original's `integer` column took them (its REST testers send random
 * int32 ids); 0 is protobuf's "not set", so it names no album.
 */
export const AlbumLimits = {
  minId: -2147483648,
  maxId: 2147483647,
  maxText: 200,
  maxPrice: PriceLimits.max,
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
    minimum: AlbumLimits.minId,
    maximum: AlbumLimits.maxId,
    description: 'A 32-bit id other than 0 (protobuf\'s "not set")',
    examples: [42],
  }),
  title: Text('Album title', 'Blue Train'),
  artist: Text('Artist name', 'John Coltrane'),
  price: Type.Number({
    minimum: 0,
    exclusiveMaximum: PRICE_CEILING,
    description:
      'Price, rounded to cents half away from zero as stored (PostgreSQL numeric(10,2)); ' +
      `at most ${AlbumLimits.maxPrice} once rounded`,
    examples: [56.99],
  }),
} as const;

/** A stored album: the shape every read returns. */
export const AlbumSchema = Type.Object(AlbumFields, { $id: 'Album', additionalProperties: false });
export type Album = Static<typeof AlbumSchema>;

/**
 * An album as a client submits it: the id may be left for the server to allocate, and the price
 * left out means 0, as in protobuf's JSON mapping of `service.Album` (Go's clients omit a 0).
 */
export type AlbumSubmission = Omit<Album, 'id' | 'price'> & {
  readonly id?: number | undefined;
  readonly price?: number | undefined;
};

/** An album whose price is held as integer cents, as the write path carries it. */
export interface AlbumRecord {
  readonly id: number;
  readonly title: string;
  readonly artist: string;
  readonly priceCents: bigint;
}

/** The decimal text of a cents amount, as PostgreSQL's numeric(10,2) takes it. */
export function centsToDecimal(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/**
 * Why a title or artist breaks the rules, or null. Lengths count characters (code points), as
 * the REST schema and PostgreSQL's char_length do, so that 200 emoji fit everywhere alike. NUL
 * is refused because PostgreSQL text cannot hold it, and unpaired surrogates because they are
 * not text at all (UTF-8 has no encoding for them).
 */
export function textProblem(text: string): string | null {
  if (!text.isWellFormed()) return 'must be valid Unicode text';
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  let length = 0;
  for (const _ of text) if (++length > AlbumLimits.maxText) break;
  if (length < 1) return 'must not be empty';
  if (length > AlbumLimits.maxText) return `must be at most ${AlbumLimits.maxText} characters`;
  return null;
}

/** Whether `id` may name an album: an int32 other than 0. */
export function isAlbumId(id: number): boolean {
  return Number.isInteger(id) && id >= AlbumLimits.minId && id <= AlbumLimits.maxId && id !== 0;
}

const ID_RULE = `must be an integer from ${AlbumLimits.minId} to ${AlbumLimits.maxId} other than 0`;

/** One broken rule of a submitted album, by field name. */
export interface FieldRule {
  readonly field: 'id' | 'title' | 'artist';
  readonly detail: string;
}

/**
 * The rules of a submitted album that its JSON schema does not state (an id of 0, text rules);
 * its shape, types and ranges are the schema's to check first.
 */
export function albumRuleProblems(
  album: Pick<AlbumSubmission, 'id' | 'title' | 'artist'>,
): FieldRule[] {
  const problems: FieldRule[] = [];
  if (album.id === 0) {
    problems.push({ field: 'id', detail: 'must not be 0; leave the id out to have one allocated' });
  }
  for (const field of ['title', 'artist'] as const) {
    const detail = textProblem(album[field]);
    if (detail !== null) problems.push({ field, detail });
  }
  return problems;
}

/** Why an album record breaks the rules, or null when it keeps them. */
export function albumRecordProblem(album: AlbumRecord): string | null {
  if (!isAlbumId(album.id)) return `id: ${ID_RULE}`;
  for (const field of ['title', 'artist'] as const) {
    const problem = textProblem(album[field]);
    if (problem !== null) return `${field}: ${problem}`;
  }
  if (album.priceCents < 0n || album.priceCents > PriceLimits.maxCents) {
    return `price: must be between 0 and ${AlbumLimits.maxPrice}`;
  }
  return null;
}
