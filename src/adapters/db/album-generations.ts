import postgres from 'postgres';
import type { Sql } from './client.ts';

/** Announced by the albums table's own trigger at each commit that changed it (migration 011). */
const CHANGED_CHANNEL = 'music_albums_changed';

/** How long to wait before listening again after the listening connection was lost. */
const RELISTEN_MS = 500;
/** How long a call waits at most for a round trip on the listening connection. */
const TRIP_DEADLINE_MS = 2000;

/**
 * What a process knows of the albums table's changes: a generation that moves at every change it
 * hears of, and whether it hears of them at all.
 */
export interface AlbumGenerations {
  /**
   * The current generation, or null while nobody listens (not yet, or the connection was lost):
   * changes may then go unheard, and nothing read may be kept.
   */
  current(): number | null;
  /**
   * The generation once every change committed before this call has been heard of: after a
   * round trip on the listening connection that began after the call (PostgreSQL sends a
   * listener its pending notifications before it says that it is ready for the next query, and
   * a commit signals listeners before it returns). Calls meanwhile share round trips. Null as
   * for current(), or when the round trip fails.
   */
  fresh(): Promise<number | null>;
  /** Calls `fn` each time the generation moves (a change, or listening lost or regained). */
  onMove(fn: () => void): void;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Listens on a connection of its own (derived from `sql`'s options) for the table's change
 * notifications. The generation moves when a notification arrives, when the connection drops
 * (changes committed until it listens again are never announced to it) and when listening
 * starts again. A read that started after the generation took its value sees every change
 * committed before: PostgreSQL notifies only after the commit. Until it listens (the database
 * may be down at start), and again after a lost connection, it tries every half second.
 */
export function listenAlbumGenerations(sql: Sql): AlbumGenerations {
  let generation = 0;
  let listening = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const movers: (() => void)[] = [];
  const move = () => {
    generation += 1;
    for (const fn of movers) fn();
  };
  // The options of `sql` (address, login, TLS), with what a listening connection needs;
  // onnotify is what postgres.js's own listen() uses, absent from its types.
  const options = {
    ...sql.options,
    max: 1,
    idle_timeout: null,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    onnotify: () => move(),
    onclose: () => {
      if (!listening) return;
      listening = false;
      move();
      if (!closed) retry = setTimeout(() => void listen(), RELISTEN_MS);
    },
  };
  const listener = postgres(
    options as unknown as postgres.Options<Record<string, postgres.PostgresType>>,
  );
  const listen = async (): Promise<void> => {
    try {
      await listener`listen ${listener(CHANGED_CHANNEL)}`;
      if (closed) return;
      // Reads before this point may have missed a change that nobody announced to us.
      listening = true;
      move();
    } catch {
      if (!closed) retry = setTimeout(() => void listen(), RELISTEN_MS);
    }
  };
  void listen();
  const current = () => (listening ? generation : null);
  // The round trip under way, and the one that follows it for the calls that came too late.
  let trip: Promise<number | null> | null = null;
  let nextTrip: Promise<number | null> | null = null;
  /**
   * One `select 1` on the listening connection; one not answered within TRIP_DEADLINE_MS counts
   * as listening lost (null, and listening again), so that no call waits on it for ever.
   */
  const roundTrip = (): Promise<number | null> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        if (listening && !closed) {
          listening = false;
          move();
          retry = setTimeout(() => void listen(), RELISTEN_MS);
        }
        resolve(null);
      }, TRIP_DEADLINE_MS);
      timer.unref();
    });
    const answered = listener.unsafe('select 1').then(current, () => null);
    const started = Promise.race([answered, deadline]).finally(() => clearTimeout(timer));
    trip = started;
    void started.then(() => {
      if (trip === started) trip = null;
    });
    return started;
  };
  return {
    current,
    fresh() {
      if (!listening) return Promise.resolve(null);
      if (trip === null) return roundTrip();
      // The trip under way may have begun before this call: the one after it will not have.
      nextTrip ??= trip.then(() => {
        nextTrip = null;
        return roundTrip();
      });
      return nextTrip;
    },
    onMove: (fn) => {
      movers.push(fn);
    },
    async close() {
      closed = true;
      listening = false;
      clearTimeout(retry);
      await listener.end({ timeout: 2 });
    },
  };
}
