// The album rules of the server (src/domain/album.ts), checked in the browser before sending so
// that mistakes show at once; the server checks them again. rules.test.ts keeps the two equal.

export const Limits = { maxText: 200, maxPrice: 99999999.99 } as const;

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

const PRICE = /^\d+(\.\d+)?$/;

function textProblem(label: string, value: string): string | undefined {
  const text = value.trim();
  if (text.length === 0) return `${label} is required`;
  // JSON Schema counts characters as code points, as the spread does.
  if ([...text].length > Limits.maxText)
    return `${label} must be at most ${Limits.maxText} characters`;
  return undefined;
}

function priceProblem(value: string): string | undefined {
  const text = value.trim();
  if (text.length === 0) return 'Price is required';
  if (!PRICE.test(text)) return 'Price must be a number such as 12.99';
  if ((text.split('.')[1] ?? '').length > 2) return 'Price may have at most 2 decimals';
  if (Number(text) > Limits.maxPrice) return `Price must be at most ${Limits.maxPrice}`;
  return undefined;
}

/** The album to send, or the problem of each field. */
export function checkAlbum(
  draft: AlbumDraft,
): { ok: true; album: AlbumInput } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const title = textProblem('Title', draft.title);
  const artist = textProblem('Artist', draft.artist);
  const price = priceProblem(draft.price);
  if (title) errors.title = title;
  if (artist) errors.artist = artist;
  if (price) errors.price = price;
  if (title || artist || price) return { ok: false, errors };
  return {
    ok: true,
    album: { title: draft.title.trim(), artist: draft.artist.trim(), price: Number(draft.price) },
  };
}
