import diagnostics from 'node:diagnostics_channel';

/** Bit 3 of a v2 record batch's attributes: the batch's timestamps are the broker's. */
const LOG_APPEND_TIME = 0b1000;

/** The parts of @platformatic/kafka's decoded Fetch response touched here. */
interface FetchedBatch {
  readonly attributes: number;
  firstTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly records: { timestampDelta: bigint }[];
}
interface FetchResponse {
  readonly responses?: readonly {
    readonly partitions?: readonly { readonly records?: readonly FetchedBatch[] | null }[];
  }[];
}

/** Gives every record of a LogAppendTime batch the broker's time, as the Java client does. */
export function stampBrokerTime(response: FetchResponse | undefined): void {
  for (const topic of response?.responses ?? [])
    for (const partition of topic.partitions ?? [])
      for (const batch of partition.records ?? []) {
        if ((batch.attributes & LOG_APPEND_TIME) === 0) continue;
        batch.firstTimestamp = batch.maxTimestamp;
        for (const record of batch.records) record.timestampDelta = 0n;
      }
}

/** What a subscriber of a tracing channel's asyncStart receives from traceCallback. */
interface TraceContext {
  readonly result?: unknown;
}

let installed = false;

/**
 * Relies on internals of @platformatic/kafka (checked by
 * test/adapters/kafka/shims/platformatic-log-append-time.int.test.ts): its messages carry
 * `firstTimestamp + timestampDelta` of their batch even when the batch's attributes say
 * LogAppendTime, where the broker leaves the producer's times in place and only sets the batch's
 * maxTimestamp to its own; and each decoded Fetch response passes through the
 * `plt:kafka:consumer:fetches` tracing channel (its asyncStart, with the response as `result`)
 * before the stream turns it into messages. Rewriting those batches there makes every consumed
 * message carry the broker's time, for all consumers of the process. Installed once.
 */
export function useBrokerTimestamps(): void {
  if (installed) return;
  installed = true;
  diagnostics
    .channel('tracing:plt:kafka:consumer:fetches:asyncStart')
    .subscribe((context) => stampBrokerTime((context as TraceContext).result as FetchResponse));
}
