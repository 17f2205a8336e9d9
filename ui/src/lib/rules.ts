// The album rules of the server (src/domain/album.ts), checked in the browser before sending so
// that mistakes show at once; the server checks them again. rules.test.ts keeps the two equal.
// The price rule is the server's own module (it imports nothing): one rule on every path.
import { checkPrice, fromCents, PriceLimits } from '../../../src/domain/price.ts';

export const Limits = { maxText: 200, maxPrice: PriceLimits.max } as const;

export type Field = 'title' | 'artist' | 'price';
export type FieldErrors = Partial<Record<Field, string>>;

/** What the form holds: text as typed. */
export interface AlbumDraft {
  title: string;
  artist: string;
  price: string;
}

/** An album as the API takes it. */
export interface AlbumInput {
  title: string;
  artist: string;
  price: number;
}

/** A decimal as people type it: digits with an optional fraction and sign, no exponent. */
const PRICE = /^-?(\d+(\.\d*)?|\.\d+)$/;

function textProblem(label: string, value: string): string | undefined {
  const text = value.trim();
  if (text.length === 0) return `${label} is required`;
  // JSON Schema counts characters as code points, as the spread does.
  if ([...text].length > Limits.maxText)
    return `${label} must be at most ${Limits.maxText} characters`;
  return undefined;
}

/** The price to send, rounded to the cents the server stores, or the problem. */
function priceOf(value: string): { price: number } | { problem: string } {
  const text = value.trim();
  if (text.length === 0) return { problem: 'Price is required' };
  if (!PRICE.test(text)) return { problem: 'Price must be a number such as 12.99' };
  const check = checkPrice(Number(text));
  if (check.ok) return { price: fromCents(check.cents) };
  if (Number(text) < 0) return { problem: 'Price must not be negative' };
  return { problem: `Price must be at most ${Limits.maxPrice}` };
}

/** The album to send (its price rounded to cents, as the server stores it), or each problem. */
export function checkAlbum(
  draft: AlbumDraft,
): { ok: true; album: AlbumInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const title = textProblem('Title', draft.title);
  const artist = textProblem('Artist', draft.artist);
  const price = priceOf(draft.price);
  if (title) errors.title = title;
  if (artist) errors.artist = artist;
  if ('problem' in price) errors.price = price.problem;
  if (title || artist || 'problem' in price) return { ok: false, errors };
  return {
    ok: true,
    album: { title: draft.title.trim(), artist: draft.artist.trim(), price: price.price },
  };
}
