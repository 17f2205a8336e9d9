import type { KeptLetter, RelayOutcome } from '../../adapters/db/dead-letter-outbox.ts';
import type { OutgoingMessage } from '../../domain/events.ts';
import type { Logger } from '../../shared/logger.ts';
import { chunksOf, DLQ_RECORD_BUDGET, recordSize, shorten } from './dead-letters.ts';

/** The smallest budget a refused letter is shortened to: its headers and a little of the rest. */
const MIN_BUDGET = 16 * 1024;

export interface PublishPorts {
  /** Publishes letters to the dead-letter topic, resolving once the broker acknowledged them. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /** Whether a failed publish was refused for its size, so smaller records may pass. */
  isTooLarge(err: unknown): boolean;
}

/**
 * Publishes kept letters in order, in runs that fit one produce request, and says which ones the
 * broker acknowledged. A run refused for its size is sent letter by letter, and a single letter
 * refused for its size is shortened further (halving the budget) until it passes: a broker whose
 * limit is lower than we assumed cannot hold the outbox back for good. Any other failure ends
 * the pass; what was acknowledged before it is reported, and the rest waits for the next one.
 */
export async function publishInOrder(
  letters: readonly KeptLetter[],
  ports: PublishPorts,
  log: Logger,
): Promise<RelayOutcome> {
  const acknowledged: string[] = [];
  const single = async (letter: KeptLetter): Promise<void> => {
    for (let budget = DLQ_RECORD_BUDGET; ; budget = Math.floor(budget / 2)) {
      try {
        await ports.publish([shorten(letter.message, budget)]);
        return;
      } catch (err: unknown) {
        if (!ports.isTooLarge(err) || budget <= MIN_BUDGET) throw err;
        log.warn({ err, id: letter.id, budget }, 'the broker refused a dead letter as too large');
      }
    }
  };
  try {
    for (const run of chunksOf(letters, (l) => recordSize(l.message), DLQ_RECORD_BUDGET)) {
      try {
        await ports.publish(run.map((l) => l.message));
        acknowledged.push(...run.map((l) => l.id));
      } catch (err: unknown) {
        if (!ports.isTooLarge(err)) throw err;
        for (const letter of run) {
          await single(letter);
          acknowledged.push(letter.id);
        }
      }
    }
    return { acknowledged };
  } catch (error: unknown) {
    return { acknowledged, error };
  }
}

export interface RelayOptions {
  readonly log: Logger;
  /**
   * One pass over the outbox: how many letters it relayed (0 when none waited), null when
   * another relay holds the outbox; rejects when the dead-letter topic could not be written.
   */
  readonly pass: () => Promise<number | null>;
  /** How often an idle relay looks for letters left by others (a stopped consumer). */
  readonly idleMs?: number;
  /** How soon to look again when another relay held the outbox. */
  readonly busyMs?: number;
  /** The longest wait between failed passes. */
  readonly maxBackoffMs?: number;
}

/** Publishes the outbox to the dead-letter topic, in the background of a consumer. */
export interface DeadLetterRelay {
  /** New letters were kept: relay them now rather than at the next look. */
  kick(): void;
  /** Stops after the pass in flight; one last pass first when the topic was last writable. */
  close(): Promise<void>;
}

/**
 * The relay loop: a pass right away when kicked, again at once while letters keep coming, a
 * look every `idleMs` when idle, and exponential backoff while the topic cannot be written
 * (logged once per outage and once on recovery, not on every attempt).
 */
export function createDeadLetterRelay(o: RelayOptions): DeadLetterRelay {
  const idleMs = o.idleMs ?? 5000;
  const busyMs = o.busyMs ?? 500;
  const maxBackoffMs = o.maxBackoffMs ?? 10_000;
  let closed = false;
  let kicked = false;
  let failures = 0;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      // While backing off, new letters wait for the next attempt like the others.
      if ((kicked && failures === 0) || closed) return resolve();
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
    });

  /** Runs one pass; the wait before the next one. */
  const step = async (): Promise<number> => {
    kicked = false;
    try {
      const relayed = await o.pass();
      if (failures > 0) o.log.info({ failures }, 'the dead-letter topic is writable again');
      failures = 0;
      if (relayed === null) return busyMs;
      if (relayed > 0) o.log.debug({ relayed }, 'relayed dead letters');
      return relayed > 0 ? 0 : idleMs;
    } catch (err: unknown) {
      if (failures === 0)
        o.log.warn({ err }, 'could not relay dead letters; they wait in the outbox');
      failures++;
      return Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 20));
    }
  };

  const loop = (async () => {
    while (!closed) {
      const wait = await step();
      if (!closed && wait > 0) await sleep(wait);
    }
  })();

  return {
    kick() {
      kicked = true;
      if (failures === 0) wake?.();
    },
    async close() {
      closed = true;
      wake?.();
      await loop;
      // Letters of the last batches go now if the topic is writable; otherwise at the next start.
      if (failures === 0) await step();
    },
  };
}
