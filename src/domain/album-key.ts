import { isAlbumId } from './album.ts';

/**
 * The record key of an album's events: its id in decimal. Writes and deletes share it, so the
 * partitioner puts every change of one album on one partition, in order.
 */
export function albumKey(id: number): string {
  return String(id);
}

/**
 * The album id a record key names, or null. Only the form albumKey writes is taken (no sign,
 * spaces or leading zeros), so a key maps to one id and one id to one key.
 */
export function albumIdOfKey(key: Uint8Array | null): number | null {
  if (key === null || key.length === 0 || key.length > 11) return null;
  const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
  const id = Number(text);
  return isAlbumId(id) && albumKey(id) === text ? id : null;
}
