// Deletes held in the browser for a few seconds before they are sent, so that Undo only has to
// forget them. Sending at once and re-creating on Undo was the other choice, and a worse one: a
// delete is a tombstone on the topic that every consumer applies, so the album would vanish
// for everyone and come back as a new write, which would also overwrite any change someone made
// in between with this page's older copy. Held here, nothing leaves the browser until the time
// is up; a page that closes sooner sends what it holds (`flush`, with keepalive).

export const UNDO_MS = 5000;

export type DeleteOutcome =
  | { kind: 'sent' }
  | { kind: 'undone' }
  | { kind: 'failed'; error: unknown };

type Send = (ids: number[], keepalive: boolean) => Promise<void>;

export class HeldDeletes {
  readonly #held = new Map<number, { ids: number[]; timer: ReturnType<typeof setTimeout> }>();
  readonly #send: Send;
  readonly #onOutcome: (ids: number[], outcome: DeleteOutcome) => void;
  readonly #delayMs: number;
  #next = 1;

  constructor(
    send: Send,
    onOutcome: (ids: number[], outcome: DeleteOutcome) => void,
    delayMs = UNDO_MS,
  ) {
    this.#send = send;
    this.#onOutcome = onOutcome;
    this.#delayMs = delayMs;
  }

  /** Holds a delete of `ids`; sends it after the delay unless `undo` comes first. */
  hold(ids: readonly number[]): number {
    const token = this.#next++;
    const timer = setTimeout(() => void this.#release(token, false), this.#delayMs);
    this.#held.set(token, { ids: [...ids], timer });
    return token;
  }

  /** Forgets a held delete; false when it was sent already. */
  undo(token: number): boolean {
    const held = this.#held.get(token);
    if (!held) return false;
    clearTimeout(held.timer);
    this.#held.delete(token);
    this.#onOutcome(held.ids, { kind: 'undone' });
    return true;
  }

  /** Sends every held delete now (the page is closing: `keepalive` outlives it). */
  flush(keepalive = true): void {
    for (const token of [...this.#held.keys()]) void this.#release(token, keepalive);
  }

  get size(): number {
    return this.#held.size;
  }

  async #release(token: number, keepalive: boolean): Promise<void> {
    const held = this.#held.get(token);
    if (!held) return;
    clearTimeout(held.timer);
    this.#held.delete(token);
    try {
      await this.#send(held.ids, keepalive);
      this.#onOutcome(held.ids, { kind: 'sent' });
    } catch (error) {
      this.#onOutcome(held.ids, { kind: 'failed', error });
    }
  }
}
