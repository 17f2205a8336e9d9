import type { Sql } from './client.ts';

/** Where a dead letter lies on its topic: what makes it the same dead letter on every read. */
export interface DlqPlace {
  readonly partition: number;
  readonly offset: bigint;
}

const placeKey = (p: DlqPlace) => `${p.partition}:${p.offset}`;

/**
 * The ledger of replayed dead letters (db/migrations/007_dlq_replays.sql), so that each one is
 * re-published once however often `music dlq replay` runs.
 */
export interface DlqReplays {
  /** Resolves when the database answers and holds the ledger (its migration was applied). */
  ready(): Promise<void>;
  /** Of `places` on `topic`, those replayed already. */
  replayed<T extends DlqPlace>(topic: string, places: readonly T[]): Promise<T[]>;
  /**
   * Claims the `places` on `topic` not replayed yet and runs `publish` on them, in one
   * transaction: the claims commit only if `publish` resolved, so a failed publish leaves them
   * to a later replay, and a concurrent replay of the same places waits for this one and then
   * skips them. Resolves with the places published.
   */
  replayOnce<T extends DlqPlace>(
    topic: string,
    places: readonly T[],
    to: string,
    publish: (claimed: readonly T[]) => Promise<void>,
  ): Promise<T[]>;
}

export function createDlqReplays(sql: Sql): DlqReplays {
  const columns = (places: readonly DlqPlace[]) => ({
    partitions: places.map((p) => p.partition),
    offsets: places.map((p) => p.offset.toString()),
  });
  const pick = <T extends DlqPlace>(places: readonly T[], rows: readonly DlqRow[]): T[] => {
    const keys = new Set(rows.map((r) => `${r.partition}:${r.offset}`));
    return places.filter((p) => keys.has(placeKey(p)));
  };
  return {
    async ready() {
      await sql`select 1 from music.dlq_replays limit 0`;
    },
    async replayed(topic, places) {
      if (places.length === 0) return [];
      const { partitions, offsets } = columns(places);
      const rows = await sql<DlqRow[]>`
        select r.dlq_partition as partition, r.dlq_offset::text as offset
        from music.dlq_replays r
        join unnest(${partitions}::int4[], ${offsets}::int8[]) as t(p, o)
          on r.dlq_partition = t.p and r.dlq_offset = t.o
        where r.dlq_topic = ${topic}`;
      return pick(places, rows);
    },
    async replayOnce<T extends DlqPlace>(
      topic: string,
      places: readonly T[],
      to: string,
      publish: (claimed: readonly T[]) => Promise<void>,
    ): Promise<T[]> {
      if (places.length === 0) return [];
      const { partitions, offsets } = columns(places);
      let claimed: T[] = [];
      await sql.begin(async (tx) => {
        const rows = await tx<DlqRow[]>`
          insert into music.dlq_replays (dlq_topic, dlq_partition, dlq_offset, replayed_to)
          select ${topic}, p, o, ${to} from unnest(${partitions}::int4[], ${offsets}::int8[]) as t(p, o)
          on conflict do nothing
          returning dlq_partition as partition, dlq_offset::text as offset`;
        claimed = pick(places, rows);
        // Inside the transaction: the claims commit only once the broker acknowledged them.
        await publish(claimed);
      });
      return claimed;
    },
  };
}

interface DlqRow {
  readonly partition: number;
  readonly offset: string;
}
