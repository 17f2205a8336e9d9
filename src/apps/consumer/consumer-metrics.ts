import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { withDeadline } from '../../adapters/kafka/deadline.ts';
import type { GroupProbe } from '../../adapters/kafka/group-probe.ts';
import type { BatchHandler, OutgoingMessage } from '../../domain/events.ts';
import type { Logger } from '../../shared/logger.ts';

export interface ConsumerMetricsOptions {
  readonly registry: Registry;
  /** Reads the group's committed offsets and the log ends when Prometheus scrapes. */
  readonly probe: Pick<GroupProbe, 'progress'>;
  readonly groupId: string;
  readonly topic: string;
  readonly log: Logger;
  /** A reading of the lag not done by then is left out, so a slow broker cannot stall a scrape. */
  readonly timeoutMs?: number;
}

/** What the consumer's runtime reports; each call costs a few counter increments. */
export interface ConsumerMetrics {
  /** Times and counts every batch the handler takes. */
  observeBatches(handle: BatchHandler): BatchHandler;
  /** Times one store of albums (the upsert and delete statement). */
  timeUpsert<T>(work: () => Promise<T>): Promise<T>;
  /** Counts dead letters kept, by the kind of their reason. */
  deadLettered(messages: readonly OutgoingMessage[]): void;
  /** The member's partitions after a group join, or after a cooperative revoke (not a join). */
  assigned(partitions: Iterable<number>, joined: boolean): void;
}

/**
 * The kind of a dead-letter reason, as a label: its text before the first colon ("price",
 * "not a service.Album", "database refused", "empty message value"). Reasons carry values and
 * driver messages, which would make one series per record.
 */
export function reasonKind(reason: string): string {
  return (reason.split(':', 1)[0] ?? '').trim().slice(0, 40) || 'unknown';
}

/**
 * A consumer process's own metrics: batches, upserts, records, dead letters and rebalances as
 * they happen, and the lag of the partitions it holds, read from the cluster when scraped.
 */
export function consumerMetrics(o: ConsumerMetricsOptions): ConsumerMetrics {
  const registers = [o.registry];
  const batchRecords = new Histogram({
    name: 'music_consumer_batch_records',
    help: 'Records in each batch handed to the processing (CONSUMER_BATCH_SIZE at most)',
    buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'music_consumer_batch_duration_seconds',
    help: 'Time to process one batch: dead letters kept, albums stored, retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const upsertSeconds = new Histogram({
    name: 'music_consumer_upsert_duration_seconds',
    help: "Time of one store of a batch's albums in PostgreSQL (one transaction), failures included",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const records = new Counter({
    name: 'music_consumer_records_processed_total',
    help: 'Records processed (stored or dead-lettered) and so ready to commit',
    registers,
  });
  const deadLetters = new Counter({
    name: 'music_consumer_dead_letters_total',
    help: 'Records kept for the dead-letter topic, by the kind of reason (text before its colon)',
    labelNames: ['reason'] as const,
    registers,
  });
  const rebalances = new Counter({
    name: 'music_consumer_rebalances_total',
    help: 'Group joins of this member: each rebalance hands it a new set of partitions',
    registers,
  });
  const partitions = new Gauge({
    name: 'music_consumer_assigned_partitions',
    help: 'Partitions of the topic this member holds, one series of value 1 per partition',
    labelNames: ['topic', 'partition'] as const,
    registers,
  });
  let held: readonly number[] = [];
  const timeoutMs = o.timeoutMs ?? 2000;
  let failing = false;
  const lag: Gauge<'topic' | 'partition'> = new Gauge({
    name: 'music_consumer_partition_lag',
    help:
      'Records not yet committed on each partition this member holds: end offset minus the ' +
      "group's committed offset (or the log start where it never committed), read when scraped",
    labelNames: ['topic', 'partition'] as const,
    registers,
    async collect() {
      lag.reset();
      if (held.length === 0) return;
      try {
        const progress = await withDeadline(
          o.probe.progress(o.groupId, o.topic),
          timeoutMs,
          `no answer from Kafka within ${timeoutMs} ms`,
        );
        failing = false;
        const mine = new Set(held);
        for (const p of progress) {
          if (!mine.has(p.partition)) continue;
          const from = p.committed ?? p.start;
          const value = p.end > from ? Number(p.end - from) : 0;
          lag.set({ topic: o.topic, partition: String(p.partition) }, value);
        }
      } catch (err: unknown) {
        // Logged once per outage, not on every scrape of it.
        if (!failing) o.log.warn({ err }, 'metrics: could not read the lag from Kafka');
        failing = true;
      }
    },
  });

  return {
    observeBatches: (handle) => async (batch) => {
      const end = batchSeconds.startTimer();
      await handle(batch);
      end();
      batchRecords.observe(batch.length);
      records.inc(batch.length);
    },
    async timeUpsert(work) {
      const end = upsertSeconds.startTimer();
      try {
        return await work();
      } finally {
        end();
      }
    },
    deadLettered(messages) {
      for (const m of messages)
        deadLetters.inc({ reason: reasonKind(m.headers?.['x-dlq-reason'] ?? '') });
    },
    assigned(next, joined) {
      held = [...next].sort((a, b) => a - b);
      if (joined) rebalances.inc();
      partitions.reset();
      for (const p of held) partitions.set({ topic: o.topic, partition: String(p) }, 1);
    },
  };
}
