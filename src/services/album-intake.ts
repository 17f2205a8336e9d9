import { type Album, type AlbumSubmission, fromCents, isAlbumId } from '../domain/album.ts';
import { encodeAlbum } from '../domain/album-codec.ts';
import { albumKey } from '../domain/album-key.ts';
import type { OutgoingMessage } from '../domain/events.ts';
import { checkPrice } from '../domain/price.ts';
import { AppError, ErrorCode } from '../shared/errors.ts';

export interface IntakePorts {
  /** `count` fresh ids. */
  allocateIds(count: number): Promise<number[]>;
  /** Resolves once the broker has acknowledged every message. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /** True when a publish that failed with `err` may still have put its messages in the log. */
  mayHaveWritten?(err: unknown): boolean;
}

export interface AcceptOptions {
  /** Headers for every message, such as the request id that produced it. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The cents of each submission's price by the one price rule (absent is 0), or an error. */
function centsOf(submissions: readonly AlbumSubmission[]): bigint[] {
  return submissions.map((s, i) => {
    const price = checkPrice(s.price ?? 0);
    if (price.ok) return price.cents;
    // The REST schema refuses these first; this holds the rule for any other caller.
    throw new AppError(ErrorCode.InvalidArgument, `Album ${i + 1}: price ${price.problem}`);
  });
}

/**
 * Accepts albums into the catalogue: rounds each price to the cents it is stored with, gives ids
 * to those without one and publishes each as a `service.Album` event keyed by its id, so all
 * changes of one album share a partition. Resolves with the accepted albums as they will be
 * stored (rounded prices) only once all of them are on the topic.
 */
export async function acceptAlbums(
  ports: IntakePorts,
  submissions: readonly AlbumSubmission[],
  { headers = {} }: AcceptOptions = {},
): Promise<Album[]> {
  const cents = centsOf(submissions);
  const missing = submissions.filter((s) => s.id === undefined).length;
  const fresh = missing > 0 ? await ports.allocateIds(missing) : [];
  let nextFresh = 0;
  const records = submissions.map((s, i) => ({
    id: s.id ?? (fresh[nextFresh++] as number),
    title: s.title,
    artist: s.artist,
    priceCents: cents[i] as bigint,
  }));
  const messages = records.map(
    (record): OutgoingMessage => ({
      key: albumKey(record.id),
      value: encodeAlbum(record),
      headers,
    }),
  );
  await ports.publish(messages);
  return records.map(({ priceCents, ...album }) => ({ ...album, price: fromCents(priceCents) }));
}

/**
 * Deletes albums: publishes a tombstone per id (its key, a null value), keyed as writes are so it
 * lands on the album's partition after its earlier changes. An id named twice is deleted once.
 * Resolves once every tombstone is on the topic; the consumers then delete the rows.
 */
export async function deleteAlbums(
  ports: Pick<IntakePorts, 'publish'>,
  ids: readonly number[],
  { headers = {} }: AcceptOptions = {},
): Promise<number[]> {
  const unique = [...new Set(ids)];
  const bad = unique.find((id) => !isAlbumId(id));
  // The REST schema refuses these first; this holds the rule for any other caller.
  if (bad !== undefined) throw new AppError(ErrorCode.InvalidArgument, `${bad} is not an album id`);
  await ports.publish(unique.map((id) => ({ key: albumKey(id), value: null, headers })));
  return unique;
}
