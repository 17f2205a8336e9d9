import { type Album, albumRecordProblem, toCents } from '../../domain/album.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

/** What a user fixed of the albums to send; the rest is made up. */
export interface AlbumTemplate {
  readonly title?: string | undefined;
  readonly artist?: string | undefined;
  readonly price?: number | undefined;
}

/**
 * Album number `index` (from 0) of `count` made from a template: the title gets a number when
 * there are several, missing prices vary from 9.99 to 48.99 so that listings are not uniform.
 */
export function sampleAlbum(t: AlbumTemplate, index: number, count: number): Omit<Album, 'id'> {
  const title = t.title ?? 'Sample Album';
  return {
    title: count > 1 ? `${title} ${index + 1}` : title,
    artist: t.artist ?? 'Sample Artist',
    // From cents, so that the price is the double nearest to a two-decimal amount.
    price: t.price ?? (999 + ((index * 7) % 40) * 100) / 100,
  };
}

/**
 * Checks an album against the catalogue's rules before anything is sent, so that a bad option
 * fails at once rather than in a dead-letter topic. Text is checked trimmed, as consumers store
 * it; `id` 1 stands in for an id not known yet.
 */
export function checkAlbum(album: Omit<Album, 'id'> & { readonly id?: number | undefined }): void {
  const problem = albumRecordProblem({
    id: album.id ?? 1,
    title: album.title.trim(),
    artist: album.artist.trim(),
    priceCents: toCents(album.price),
  });
  if (problem !== null) throw new AppError(ErrorCode.InvalidArgument, `invalid album: ${problem}`);
}

/** Checks the albums a template makes: the first and the last (the longest title) suffice. */
export function checkTemplate(t: AlbumTemplate, count: number): void {
  checkAlbum(sampleAlbum(t, 0, count));
  checkAlbum(sampleAlbum(t, count - 1, count));
}
