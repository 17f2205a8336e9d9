import type { Album } from '../../domain/album.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ListenStored } from './routes/album-events.ts';

/** What read-your-writes needs: the consumers' notifications, and a read of one album. */
export interface ReadBack {
  readonly listen: ListenStored;
  readonly get: (id: number) => Promise<Album | null>;
}

/**
 * Waits, for `Prefer: wait`, until a consumer stored the album a write sent. The process holds
 * one LISTEN (opened with the first wait, like the event stream's), and each waiting request
 * watches the ids it announces from before its publish on, so a notification cannot slip by
 * between the publish and the wait.
 */
export class StoredWatch {
  private readonly watches = new Set<Watch>();
  private listening: Promise<boolean> | null = null;
  private stop: (() => Promise<void>) | null = null;

  private readonly readBack: ReadBack;
  private readonly log: Logger;

  constructor(readBack: ReadBack, log: Logger) {
    this.readBack = readBack;
    this.log = log;
  }

  /** Starts watching; null when the notifications cannot be listened to (then nothing waits). */
  async watch(): Promise<Watch | null> {
    this.listening ??= this.readBack
      .listen((ids) => {
        for (const watch of this.watches) watch.notify(ids);
      })
      .then(
        (stop) => {
          this.stop = stop;
          return true;
        },
        (err: unknown) => {
          this.log.warn({ err }, 'could not listen for stored albums: writes answer 202');
          this.listening = null;
          return false;
        },
      );
    if (!(await this.listening)) return null;
    const watch = new Watch(this.readBack.get, () => this.watches.delete(watch));
    this.watches.add(watch);
    return watch;
  }

  /** Ends every wait (they answer 202) and the LISTEN. */
  async close(): Promise<void> {
    for (const watch of this.watches) watch.close();
    await this.listening;
    await this.stop?.();
  }
}

/** One request's wait for its album. */
export class Watch {
  private readonly seen = new Set<number>();
  private wake: (() => void) | null = null;
  private closed = false;

  private readonly get: (id: number) => Promise<Album | null>;
  private readonly onClose: () => void;

  constructor(get: (id: number) => Promise<Album | null>, onClose: () => void) {
    this.get = get;
    this.onClose = onClose;
  }

  notify(ids: readonly number[]): void {
    for (const id of ids) this.seen.add(id);
    this.wake?.();
  }

  /**
   * The album as stored once a notification names its id and the row holds what was sent, or
   * null at `deadline`. A row that differs was stored by an earlier write of the same id (or
   * replaced already by a later one), so the wait goes on for the next notification.
   */
  async stored(album: Album, deadline: number): Promise<Album | null> {
    while (await this.next(album.id, deadline)) {
      const row = await this.get(album.id);
      if (
        row &&
        row.title === album.title &&
        row.artist === album.artist &&
        row.price === album.price
      )
        return row;
    }
    return null;
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    this.onClose();
  }

  private async next(id: number, deadline: number): Promise<boolean> {
    while (!this.seen.has(id)) {
      const left = deadline - Date.now();
      if (this.closed || left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    this.seen.delete(id);
    return true;
  }
}
