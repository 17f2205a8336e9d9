import type { Progress } from './progress.ts';

export interface BatchPlan {
  /** Items to send, numbered from 0. */
  readonly total: number;
  /** Items per batch at most. */
  readonly batchSize: number;
  /** Batches in flight at once at most. */
  readonly concurrency: number;
}

/**
 * Sends items 0..total-1 as consecutive batches, several at once, advancing `progress` as each
 * batch succeeds. After the first failure no new batch starts; the batches in flight finish,
 * then that failure is thrown.
 */
export async function sendInBatches(
  plan: BatchPlan,
  send: (start: number, size: number) => Promise<void>,
  progress: Progress,
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && next < plan.total) {
      const start = next;
      const size = Math.min(plan.batchSize, plan.total - start);
      next += size;
      try {
        await send(start, size);
        progress.advance(size);
      } catch (error: unknown) {
        failure ??= { error };
      }
    }
  };
  const workers = Math.max(1, Math.min(plan.concurrency, Math.ceil(plan.total / plan.batchSize)));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    progress.stop();
  }
  if (failure !== null) throw (failure as { readonly error: unknown }).error;
}

/** The lowest and highest of the ids seen so far. */
export class IdRange {
  first: number | null = null;
  last: number | null = null;

  add(ids: Iterable<number>): void {
    for (const id of ids) {
      if (this.first === null || id < this.first) this.first = id;
      if (this.last === null || id > this.last) this.last = id;
    }
  }
}

/** What a command that sent albums reports. */
export interface SendSummary {
  readonly albums: number;
  /** The lowest and highest id sent, or null when nothing was sent. */
  readonly firstId: number | null;
  readonly lastId: number | null;
  readonly seconds: number;
  readonly perSecond: number;
}

export function summarize(albums: number, ids: IdRange, startedAt: number): SendSummary {
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    albums,
    firstId: ids.first,
    lastId: ids.last,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: seconds > 0 ? Math.round(albums / seconds) : albums,
  };
}

/**
 * The summary for people, e.g. "accepted 5000 albums in 1.20 s (4167 albums/s), ids 101–5100";
 * `where` goes after the albums ("to music.albums").
 */
export function summaryLine(verb: string, s: SendSummary, where = ''): string {
  const plural = s.albums === 1 ? '' : 's';
  const ids = s.firstId === null ? '' : `, ids ${s.firstId}–${s.lastId}`;
  const rate = `in ${s.seconds.toFixed(2)} s (${s.perSecond} albums/s)`;
  return `${verb} ${s.albums} album${plural}${where ? ` ${where}` : ''} ${rate}${ids}`;
}
