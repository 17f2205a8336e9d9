import { type Album, type AlbumRecord, type AlbumSubmission, toCents } from '../domain/album.ts';
import { encodeAlbum } from '../domain/album-codec.ts';
import type { OutgoingMessage } from '../domain/events.ts';

export interface IntakePorts {
  /** `count` fresh ids. */
  allocateIds(count: number): Promise<number[]>;
  /** Resolves once the broker has acknowledged every message. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface AcceptOptions {
  /** Headers for every message, such as the request id that produced it. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Accepts albums into the catalogue: gives ids to those without one and publishes each as a
 * `service.Album` event keyed by its id, so all changes of one album share a partition.
 * Resolves with the accepted albums only once all of them are on the topic.
 */
export async function acceptAlbums(
  ports: IntakePorts,
  submissions: readonly AlbumSubmission[],
  { headers = {} }: AcceptOptions = {},
): Promise<Album[]> {
  const missing = submissions.filter((s) => s.id === undefined).length;
  const fresh = missing > 0 ? await ports.allocateIds(missing) : [];
  let nextFresh = 0;
  const accepted: Album[] = submissions.map((s) => ({
    id: s.id ?? (fresh[nextFresh++] as number),
    title: s.title,
    artist: s.artist,
    price: s.price,
  }));
  const messages = accepted.map((album): OutgoingMessage => {
    const record: AlbumRecord = { ...album, priceCents: toCents(album.price) };
    return { key: String(album.id), value: encodeAlbum(record), headers };
  });
  await ports.publish(messages);
  return accepted;
}
