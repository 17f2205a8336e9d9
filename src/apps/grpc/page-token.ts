import { AlbumLimits } from '../../domain/album.ts';
import { AppError, ErrorCode } from '../../shared/errors.ts';

// A page token is the last id of the previous page (keyset pagination), versioned and base64url
// encoded so that clients treat it as opaque and its format can change without breaking them.
const PREFIX = 'a1:';
const FORMAT = /^a1:([1-9][0-9]{0,9})$/;

/** The token of the page after the one ending with album `lastId`. */
export function encodePageToken(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`).toString('base64url');
}

/** The id after which the page starts: 0 for no token; INVALID_ARGUMENT for any other input. */
export function decodePageToken(token: string): number {
  if (token === '') return 0;
  const match = FORMAT.exec(Buffer.from(token, 'base64url').toString('latin1'));
  const id = Number(match?.[1]);
  // base64url decoding ignores what is not base64url, so the round trip must give the token back.
  if (!match || id > AlbumLimits.maxId || encodePageToken(id) !== token) {
    throw new AppError(ErrorCode.InvalidArgument, 'page_token is not a token this API issued');
  }
  return id;
}
