import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AlbumSchema as AlbumMessage } from '../gen/service/music_pb.js';
import { type AlbumRecord, albumRecordProblem, toCents } from './album.ts';
import { type AlbumWireFields, readAlbum, writeAlbum } from './album-wire.ts';

/** Encodes an album as `service.Album`, with the float price for old readers and exact cents. */
export function encodeAlbum(album: AlbumRecord): Uint8Array {
  const price = Number(album.priceCents) / 100;
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
 * from `price_cents` when set, else from the float rounded to cents.
 */
export function decodeAlbum(bytes: Uint8Array | null): DecodeResult {
  if (bytes === null || bytes.length === 0) return { ok: false, reason: 'empty message value' };
  let message: AlbumWireFields | null = readAlbum(bytes);
  if (message === null) {
    try {
      message = fromBinary(AlbumMessage, bytes);
    } catch (err) {
      return { ok: false, reason: `not a service.Album: ${(err as Error).message}` };
    }
  }
  if (message.priceCents === undefined && !Number.isFinite(message.price)) {
    return { ok: false, reason: 'price: not a finite number' };
  }
  const album: AlbumRecord = {
    id: message.id,
    title: message.title.trim(),
    artist: message.artist.trim(),
    priceCents: message.priceCents ?? toCents(message.price),
  };
  const problem = albumRecordProblem(album);
  return problem === null ? { ok: true, album } : { ok: false, reason: problem };
}
