import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AlbumSchema as AlbumMessage } from '../gen/service/music_pb.js';
import { type AlbumRecord, albumRecordProblem, fromCents } from './album.ts';
import { type AlbumWireFields, readAlbum, wireId, writeAlbum } from './album-wire.ts';
import { checkPrice } from './price.ts';

/** Encodes an album as `service.Album`, with the float price for old readers and exact cents. */
export function encodeAlbum(album: AlbumRecord): Uint8Array {
  const price = fromCents(album.priceCents);
  return (
    writeAlbum(album.id, album.title, album.artist, price, album.priceCents) ??
    encodeWithProtobufEs(album, price)
  );
}

function encodeWithProtobufEs(album: AlbumRecord, price: number): Uint8Array {
  return toBinary(
    AlbumMessage,
    create(AlbumMessage, {
      id: album.id,
      title: album.title,
      artist: album.artist,
      price,
      priceCents: album.priceCents,
    }),
  );
}

export type DecodeResult =
  | { readonly ok: true; readonly album: AlbumRecord }
  | { readonly ok: false; readonly reason: string };

/**
 * Decodes and checks one `service.Album` from any producer. Text is trimmed; the price comes
 * from `price_cents` when set, else from the float by the one price rule (`checkPrice`: a
 * negative or non-finite float is refused, the rest rounded to cents). An id the wire holds
 * above int32 is refused, not stored as the int32 protobuf truncates it to.
 */
export function decodeAlbum(bytes: Uint8Array | null): DecodeResult {
  if (bytes === null || bytes.length === 0) return { ok: false, reason: 'empty message value' };
  let message: AlbumWireFields | null = readAlbum(bytes);
  if (message === null) {
    let id: bigint | undefined;
    try {
      message = fromBinary(AlbumMessage, bytes);
      // Only here can the id be out of range: the fast path reads int32 ids only.
      id = wireId(bytes);
    } catch (err) {
      return { ok: false, reason: `not a service.Album: ${(err as Error).message}` };
    }
    if (id !== undefined && id !== BigInt(message.id)) {
      return { ok: false, reason: `id: ${id} is not a 32-bit integer` };
    }
  }
  let priceCents = message.priceCents;
  if (priceCents === undefined) {
    const price = checkPrice(message.price);
    if (!price.ok) return { ok: false, reason: `price: ${price.problem} (got ${message.price})` };
    priceCents = price.cents;
  }
  const album: AlbumRecord = {
    id: message.id,
    title: message.title.trim(),
    artist: message.artist.trim(),
    priceCents,
  };
  const problem = albumRecordProblem(album);
  return problem === null ? { ok: true, album } : { ok: false, reason: problem };
}
