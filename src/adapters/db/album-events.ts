import type { Sql } from './client.ts';
import { unwatched, type Watch } from './query-deadline.ts';

/** The PostgreSQL channel on which consumers announce the ids of albums they stored. */
const STORED_CHANNEL = 'music_albums_stored';

// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; ids are ASCII, so chars = bytes.
const MAX_PAYLOAD = 7900;

/** JSON arrays of the ids, each short enough to be one NOTIFY payload. */
export function storedPayloads(ids: readonly number[]): string[] {
  const payloads: string[] = [];
  let chunk: number[] = [];
  let length = 2;
  for (const id of ids) {
    const text = String(id);
    if (chunk.length > 0 && length + 1 + text.length > MAX_PAYLOAD) {
      payloads.push(JSON.stringify(chunk));
      chunk = [];
      length = 2;
    }
    length += text.length + (chunk.length > 0 ? 1 : 0);
    chunk.push(id);
  }
  if (chunk.length > 0) payloads.push(JSON.stringify(chunk));
  return payloads;
}

/**
 * Tells every listener that these albums were written, in one round trip however many chunks
 * it takes. Listeners only hear of it; the rows themselves are read from the table.
 */
export async function notifyStored(
  sql: Sql,
  ids: readonly number[],
  watch: Watch = unwatched,
): Promise<void> {
  const payloads = storedPayloads(ids);
  if (payloads.length === 0) return;
  await watch(sql`select pg_notify(${STORED_CHANNEL}, p) from unnest(${payloads}::text[]) as p`);
}

/**
 * Calls `onIds` with the ids of every notification of stored albums, on a connection of its
 * own that postgres.js re-opens (and LISTENs again on) when it drops. Resolves once listening;
 * the function it resolves to stops listening.
 */
export async function listenStored(
  sql: Sql,
  onIds: (ids: number[]) => void,
): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(STORED_CHANNEL, (payload) => {
    const ids = parseIds(payload);
    if (ids.length > 0) onIds(ids);
  });
  return unlisten;
}

// Anyone may NOTIFY on the channel, so a payload is trusted only as far as it is an id array.
function parseIds(payload: string): number[] {
  try {
    const value: unknown = JSON.parse(payload);
    return Array.isArray(value) ? value.filter((id): id is number => Number.isInteger(id)) : [];
  } catch {
    return [];
  }
}
