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

/** An album as a client submits it: the id may be left for the server to allocate. */
export type AlbumSubmission = Omit<Album, 'id'> & { readonly id?: number | undefined };

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

/** One broken rule of a submitted album, by field name. */
export interface FieldRule {
  readonly field: 'title' | 'artist';
  readonly detail: string;
}

/**
 * The rules of a submitted album that a JSON schema cannot state; its shape, types and ranges
 * are the schema's to check first.
 */
export function albumRuleProblems(album: Pick<Album, 'title' | 'artist'>): FieldRule[] {
  const problems: FieldRule[] = [];
  for (const field of ['title', 'artist'] as const) {
    const detail = textProblem(album[field]);
    if (detail !== null) problems.push({ field, detail });
  }
  return problems;
}

const IdCheck = TypeCompiler.Compile(AlbumFields.id);
const MAX_CENTS = BigInt(Math.round(AlbumLimits.maxPrice * 100));

/** Why an album record breaks the rules, or null when it keeps them. */
export function albumRecordProblem(album: AlbumRecord): string | null {
  if (!IdCheck.Check(album.id)) return `id: must be an integer from 1 to ${AlbumLimits.maxId}`;
  for (const field of ['title', 'artist'] as const) {
    const problem = textProblem(album[field]);
    if (problem !== null) return `${field}: ${problem}`;
  }
  if (album.priceCents < 0n || album.priceCents > MAX_CENTS) {
    return `price: must be between 0 and ${AlbumLimits.maxPrice}`;
  }
  return null;
}
