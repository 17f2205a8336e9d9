import { createSql } from '../../../adapters/db/client.ts';
import { createDlqReplays } from '../../../adapters/db/dlq-replays.ts';
import { kafkaConnectionOf } from '../../../adapters/kafka/connection.ts';
import { createPublisher, type Publisher } from '../../../adapters/kafka/publisher.ts';
import { albumTopics, ensureTopics } from '../../../adapters/kafka/topics.ts';
import type { ConsumedMessage, OutgoingMessage } from '../../../domain/events.ts';
import { type Config, redactUrl } from '../../../shared/config.ts';
import type { CliContext } from '../context.ts';
import {
  type DeadLetterView,
  deadLetterText,
  type Selection,
  selects,
  viewOf,
} from '../dead-letters.ts';
import { readDeadLetters } from '../dlq-reader.ts';
import { reaching } from '../failure.ts';

/** No record for this long before the end of the dead-letter topic: give up. */
const READ_IDLE_MS = 30_000;
/** Dead letters claimed and published per transaction of the replay ledger. */
const REPLAY_CHUNK = 500;
/** The header a replayed record carries: the dead letter it came from, `topic/partition/offset`. */
export const REPLAYED_FROM = 'x-replayed-from';

/** Reads the dead-letter topic (created, as every service does, when missing). */
async function* deadLetters(config: Config): AsyncGenerator<ConsumedMessage> {
  const brokers = config.KAFKA_BROKERS.join(',');
  await reaching('Kafka', brokers, () =>
    ensureTopics(kafkaConnectionOf(config), albumTopics(config)),
  );
  yield* readDeadLetters({
    kafka: kafkaConnectionOf(config),
    clientId: `${config.KAFKA_CLIENT_ID}-cli-dlq`,
    topic: config.KAFKA_DLQ_TOPIC,
    timeoutMs: READ_IDLE_MS,
  });
}

const byPlace = (a: DeadLetterView, b: DeadLetterView) =>
  a.at.localeCompare(b.at) || a.partition - b.partition || Number(a.offset) - Number(b.offset);

export interface ListOptions {
  readonly limit: number;
}

/** `music dlq list`: the oldest --limit dead letters, with what they say of themselves. */
export async function list(ctx: CliContext, o: ListOptions): Promise<void> {
  const config = ctx.config();
  const topic = config.KAFKA_DLQ_TOPIC;
  // Each partition is read in offset order, so its first --limit are its oldest: only those
  // can be among the oldest --limit of all, and memory stays bounded by them.
  const perPartition = new Map<number, DeadLetterView[]>();
  let total = 0;
  await reaching('Kafka', config.KAFKA_BROKERS.join(','), async () => {
    for await (const m of deadLetters(config)) {
      total += 1;
      const kept = perPartition.get(m.partition) ?? [];
      perPartition.set(m.partition, kept);
      if (kept.length < o.limit) kept.push(viewOf(m));
    }
  });
  const shown = [...perPartition.values()].flat().sort(byPlace).slice(0, o.limit);
  ctx.out.result({ topic, total, deadLetters: shown }, () => {
    const count = `${total} dead letter${total === 1 ? '' : 's'} on ${topic}`;
    const showing = shown.length < total ? ` (the oldest ${shown.length} shown)` : '';
    return [...shown.map((v) => deadLetterText(topic, v)), `${count}${showing}`].join('\n\n');
  });
}

export interface ReplayOptions {
  readonly reason?: string;
  /** Epoch milliseconds (parsed by options.ts parseSince). */
  readonly since?: number;
  readonly dryRun?: true;
}

/** Where a dead letter was and what it held, as `dlq replay` reports it. */
interface Replayed {
  readonly partition: number;
  readonly offset: string;
  readonly albumId: number | null;
}

const replayedOf = (m: ConsumedMessage): Replayed => {
  const { album } = viewOf(m);
  return { partition: m.partition, offset: m.offset.toString(), albumId: album?.id ?? null };
};

/**
 * `music dlq replay`: re-publishes the selected dead letters (key and value as they are) to
 * KAFKA_TOPIC, once each: the ledger in PostgreSQL (music.dlq_replays) remembers every one
 * published, in the transaction that waits for the broker's acknowledgement.
 */
export async function replay(ctx: CliContext, o: ReplayOptions): Promise<void> {
  const config = ctx.config();
  const from = config.KAFKA_DLQ_TOPIC;
  const to = config.KAFKA_TOPIC;
  const brokers = config.KAFKA_BROKERS.join(',');
  const selection: Selection = { reason: o.reason, sinceMs: o.since };
  const publisher = o.dryRun
    ? null
    : createPublisher({
        kafka: kafkaConnectionOf(config),
        clientId: `${config.KAFKA_CLIENT_ID}-cli-dlq-replay`,
        timeoutMs: config.PRODUCE_TIMEOUT_MS,
      });
  const outgoing = (m: ConsumedMessage): OutgoingMessage => ({
    key: m.key,
    value: m.value,
    headers: { [REPLAYED_FROM]: `${from}/${m.partition}/${m.offset}` },
  });
  let selected = 0;
  let before = 0;
  const replayed: Replayed[] = [];
  // The replay ledger is written as the services write: as the writer.
  const db = redactUrl(config.DATABASE_WRITE_URL);
  const sql = createSql({ url: config.DATABASE_WRITE_URL, max: 1, applicationName: 'music-cli' });
  const ledger = createDlqReplays(sql);

  /** Publishes what the ledger claims; a failure is named as Kafka's or PostgreSQL's. */
  const replayChunk = async (chunk: readonly ConsumedMessage[], to: string, p: Publisher) => {
    let publishFailed = false;
    try {
      return await ledger.replayOnce(from, chunk, to, (claimed) =>
        reaching('Kafka', brokers, () => p.publish(to, claimed.map(outgoing))).catch(
          (err: unknown) => {
            publishFailed = true;
            throw err;
          },
        ),
      );
    } catch (err: unknown) {
      if (publishFailed) throw err;
      return reaching('PostgreSQL', db, () => Promise.reject(err));
    }
  };

  const flush = async (chunk: readonly ConsumedMessage[]) => {
    if (publisher === null) {
      const done = new Set(await reaching('PostgreSQL', db, () => ledger.replayed(from, chunk)));
      before += done.size;
      replayed.push(...chunk.filter((m) => !done.has(m)).map(replayedOf));
      return;
    }
    const claimed = await replayChunk(chunk, to, publisher);
    before += chunk.length - claimed.length;
    replayed.push(...claimed.map(replayedOf));
  };

  const letters = deadLetters(config);
  try {
    // Fails fast, before any reading, when the ledger is not there to keep the "once".
    await reaching('PostgreSQL', db, () => ledger.ready());
    let chunk: ConsumedMessage[] = [];
    for (;;) {
      const next = await reaching('Kafka', brokers, () => letters.next());
      if (next.done) break;
      if (!selects(selection, next.value)) continue;
      selected += 1;
      chunk.push(next.value);
      if (chunk.length >= REPLAY_CHUNK) {
        await flush(chunk);
        chunk = [];
      }
    }
    await flush(chunk);
  } finally {
    await letters.return(undefined);
    await publisher?.close();
    await sql.end({ timeout: 5 });
  }

  const summary = {
    from,
    to,
    dryRun: publisher === null,
    selected,
    replayedBefore: before,
    replayed,
  };
  ctx.out.result(summary, () => {
    const verb = publisher === null ? 'would replay' : 'replayed';
    const n = replayed.length;
    const head = `${verb} ${n} dead letter${n === 1 ? '' : 's'} from ${from} to ${to} (${selected} selected, ${before} replayed before)`;
    const lines = replayed.map(
      (r) =>
        `  ${from} ${r.partition}@${r.offset}${r.albumId === null ? '' : `  album #${r.albumId}`}`,
    );
    return [head, ...lines].join('\n');
  });
}
