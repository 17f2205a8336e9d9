import { Gauge, type Registry } from 'prom-client';
import { withDeadline } from '../../../adapters/kafka/deadline.ts';
import type { GroupProbe, PartitionProgress } from '../../../adapters/kafka/group-probe.ts';
import type { Logger } from '../../../shared/logger.ts';
import { createStallWatch, type StalledPartition } from '../stall-watch.ts';

export interface ClusterMetricsOptions {
  readonly registry: Registry;
  readonly probe: Pick<GroupProbe, 'describe' | 'progress' | 'endOffsets'>;
  /** The consumers' group (KAFKA_GROUP_ID), its topic and the dead-letter topic. */
  readonly groupId: string;
  readonly topic: string;
  readonly dlqTopic: string;
  readonly log: Logger;
  /** A partition whose committed offset stays put this long while records arrive is stalled. */
  readonly stallAfterMs?: number;
  /**
   * Scrapes within this many milliseconds share one reading of the cluster; with 0, each scrape
   * makes its own (its gauges, and scrapes during it, still share one).
   */
  readonly cacheMs?: number;
  /** A reading not done by then counts as failed, so a slow broker cannot stall a scrape. */
  readonly timeoutMs?: number;
}

/** One reading of the cluster; each part is null when it could not be read. */
interface Reading {
  readonly members: number | null;
  readonly progress: readonly PartitionProgress[] | null;
  readonly dlqEnds: ReadonlyMap<number, bigint> | null;
  readonly stalled: readonly StalledPartition[] | null;
}

/**
 * Consumer-group and dead-letter gauges, read from the cluster when Prometheus scrapes rather
 * than reported by the consumers: the consumers run in processes without an HTTP server, and
 * the committed offsets in Kafka are the truth about their progress anyway. A Kafka outage
 * leaves these gauges empty (and music_kafka_up at 0); it never fails the scrape.
 */
export function clusterMetrics(o: ClusterMetricsOptions): void {
  const cacheMs = o.cacheMs ?? 2000;
  const timeoutMs = o.timeoutMs ?? 2000;
  let cached: { at: number; reading: Promise<Reading>; done: boolean } | null = null;
  let failing = false;
  const stalls = createStallWatch(o.stallAfterMs ?? 60_000);

  const part = async <T>(what: string, work: () => Promise<T>): Promise<T | null> => {
    try {
      return await withDeadline(work(), timeoutMs, `no answer from Kafka within ${timeoutMs} ms`);
    } catch (err: unknown) {
      // Logged once per outage, not on every scrape of it.
      if (!failing) o.log.warn({ err }, `metrics: could not read ${what} from Kafka`);
      return null;
    }
  };

  const read = async (): Promise<Reading> => {
    const [group, progress, dlqEnds] = await Promise.all([
      part('the consumer group', () => o.probe.describe(o.groupId)),
      part('the group offsets', () => o.probe.progress(o.groupId, o.topic)),
      part('the dead-letter topic', () => o.probe.endOffsets(o.dlqTopic)),
    ]);
    failing = group === null || progress === null || dlqEnds === null;
    const stalled = progress === null ? null : stalls.observe(progress);
    return { members: group?.members ?? null, progress, dlqEnds, stalled };
  };

  // A reading under way is joined whatever its age: every gauge of a scrape asks for one, and
  // a slow broker must not have overlapping readings pile up on it.
  const reading = (): Promise<Reading> => {
    const now = Date.now();
    if (!cached || (cached.done && now - cached.at >= cacheMs)) {
      const next = { at: now, reading: read(), done: false };
      const settle = () => {
        next.done = true;
      };
      next.reading.then(settle, settle);
      cached = next;
    }
    return cached.reading;
  };

  const up: Gauge = new Gauge({
    name: 'music_kafka_up',
    help: '1 when the last reading of the consumer group and topics from Kafka succeeded, else 0',
    registers: [o.registry],
    async collect() {
      const r = await reading();
      up.set(r.members !== null && r.progress !== null && r.dlqEnds !== null ? 1 : 0);
    },
  });

  // Labelled by group, also because prom-client shows an unlabelled gauge as 0 when unset, and
  // "no members" must not be reported while Kafka is not answering.
  const members: Gauge<'group'> = new Gauge({
    name: 'music_consumer_group_members',
    help: 'Members of the consumer group (KAFKA_GROUP_ID) across all consumer processes',
    labelNames: ['group'] as const,
    registers: [o.registry],
    async collect() {
      const r = await reading();
      members.reset();
      if (r.members !== null) members.set({ group: o.groupId }, r.members);
    },
  });

  /** A gauge with one value per partition of the topic, where `read` gives one. */
  const perPartition = (
    name: string,
    help: string,
    read: (p: PartitionProgress) => bigint | null,
  ): void => {
    const gauge: Gauge<'topic' | 'partition'> = new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'] as const,
      registers: [o.registry],
      async collect() {
        const r = await reading();
        gauge.reset();
        for (const p of r.progress ?? []) {
          const value = read(p);
          if (value !== null)
            gauge.set({ topic: o.topic, partition: String(p.partition) }, Number(value));
        }
      },
    });
  };

  perPartition(
    'music_consumer_committed_offset',
    'Offset the consumer group committed on each partition (the next record it will read). ' +
      'It grows by one per record consumed, so consumer throughput in records per second is ' +
      'sum(rate(music_consumer_committed_offset[1m]))',
    (p) => p.committed,
  );

  perPartition(
    'music_consumer_lag',
    'Records on each partition the consumer group has not committed yet: end offset minus ' +
      'committed offset (minus the log start where it never committed, as it starts there)',
    (p) => {
      const from = p.committed ?? p.start;
      return p.end > from ? p.end - from : 0n;
    },
  );

  const stalled: Gauge<'topic'> = new Gauge({
    name: 'music_consumer_stalled_partitions',
    help:
      'Partitions of the topic whose committed offset has not moved for CONSUMER_STALL_AFTER_MS ' +
      'while records kept arriving: the consumers stopped storing albums there',
    labelNames: ['topic'] as const,
    registers: [o.registry],
    async collect() {
      const r = await reading();
      stalled.reset();
      if (r.stalled !== null) stalled.set({ topic: o.topic }, r.stalled.length);
    },
  });

  const dlq: Gauge<'topic'> = new Gauge({
    name: 'music_dlq_messages',
    help:
      'Records ever written to the dead-letter topic: the sum of the end offsets of its partitions ' +
      '(retention does not lower it)',
    labelNames: ['topic'] as const,
    registers: [o.registry],
    async collect() {
      const r = await reading();
      dlq.reset();
      if (r.dlqEnds === null) return;
      let total = 0n;
      for (const end of r.dlqEnds.values()) total += end;
      dlq.set({ topic: o.dlqTopic }, Number(total));
    },
  });
}
