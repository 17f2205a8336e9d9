import { randomUUID } from 'node:crypto';
import type { AlbumRecord } from '../src/domain/album.ts';
import { encodeAlbum } from '../src/domain/album-codec.ts';
import type { OutgoingMessage } from '../src/domain/events.ts';

/** The header every write puts on its records (see the REST API's album writes). */
const REQUEST_ID_HEADER = 'x-request-id';

/** Album `i` of the bench as a client posts it: typical lengths (a 17-character title). */
export function albumBody(i: number): { title: string; artist: string; price: number } {
  return {
    title: `Bench album ${String(i).padStart(5, '0')}`,
    artist: `Artist ${i % 97}`,
    price: ((i * 7919) % 1_000_000) / 100,
  };
}

/** A batch request body of `size` albums without ids: the server allocates them. */
export function batchBody(size: number): string {
  return JSON.stringify(Array.from({ length: size }, (_, i) => albumBody(i)));
}

/** Album `id` as the REST API publishes it. */
export function albumRecord(id: number): AlbumRecord {
  const { title, artist, price } = albumBody(id);
  return { id, title, artist, priceCents: BigInt(Math.round(price * 100)) };
}

/** The record the REST API would publish for album `id`: keyed by id, with a request id. */
export function albumMessage(id: number, requestId: string = randomUUID()): OutgoingMessage {
  return {
    key: String(id),
    value: encodeAlbum(albumRecord(id)),
    headers: { [REQUEST_ID_HEADER]: requestId },
  };
}

/** Bytes of key, value and headers of a typical published album: the size for the ceiling. */
export function typicalRecordBytes(): number {
  const m = albumMessage(1_234_567);
  const headers = Object.entries(m.headers ?? {}).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  const key =
    m.key === null ? 0 : typeof m.key === 'string' ? Buffer.byteLength(m.key) : m.key.byteLength;
  return key + (m.value?.byteLength ?? 0) + headers;
}
