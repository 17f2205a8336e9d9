import diagnostics from 'node:diagnostics_channel';

/** Bit 4 of a record batch's attributes: it belongs to a transaction. */
const TRANSACTIONAL = 0b1_0000;
/** Bit 5: a control batch (a transaction's commit or abort marker). */
const CONTROL = 0b10_0000;

/** The parts of @platformatic/kafka's decoded Fetch response read and changed here. */
interface FetchedBatch {
  readonly attributes: number;
  readonly firstOffset: bigint;
  readonly lastOffsetDelta: number;
  readonly producerId: bigint;
  records: readonly { readonly key?: Buffer | null }[];
}
interface FetchedPartition {
  readonly abortedTransactions?: readonly { producerId: bigint; firstOffset: bigint }[] | null;
  readonly records?: readonly FetchedBatch[] | null;
}
interface FetchResponse {
  readonly responses?: readonly { readonly partitions?: readonly FetchedPartition[] }[];
}

/** An abort marker's key: version (int16), then type 0 (abort) or 1 (commit). */
const isAbortMarker = (b: FetchedBatch) => b.records[0]?.key?.readInt16BE(2) === 0;

/**
 * Empties the batches of aborted transactions, as the Java client skips them: walking the
 * batches in offset order, a producer listed as aborted from an offset is skipped from its first
 * batch reaching that offset until its abort marker, whether or not the marker is in this
 * response. Batches are emptied, not removed, so that the stream's offsets still move past them.
 */
export function dropAbortedRecords(response: FetchResponse | undefined): void {
  for (const topic of response?.responses ?? [])
    for (const partition of topic.partitions ?? []) {
      const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) =>
        a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
      );
      if (aborted.length === 0) continue;
      const skipping = new Set<bigint>();
      let next = 0;
      for (const batch of partition.records ?? []) {
        const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
        for (; next < aborted.length && (aborted[next]?.firstOffset ?? last + 1n) <= last; next++)
          skipping.add((aborted[next] as { producerId: bigint }).producerId);
        if ((batch.attributes & CONTROL) !== 0) {
          if (isAbortMarker(batch)) skipping.delete(batch.producerId);
        } else if ((batch.attributes & TRANSACTIONAL) !== 0 && skipping.has(batch.producerId)) {
          batch.records = [];
        }
      }
    }
}

/** What a subscriber of a tracing channel's asyncStart receives from traceCallback. */
interface TraceContext {
  readonly result?: unknown;
}

let installed = false;

/**
 * Relies on internals of @platformatic/kafka 2.12 (checked by
 * test/adapters/kafka/shims/platformatic-aborted-records.test.ts and the read_committed tests of
 * test/adapters/kafka/transactions.int.test.ts): its read_committed filter keeps the records of an
 * aborted transaction when the response ends before the abort marker, and keeps only the last
 * aborted transaction of a producer listed twice in one response. Each decoded Fetch response
 * passes through the `plt:kafka:consumer:fetches` tracing channel (asyncStart, the response as
 * `result`) after that filter and before the stream turns batches into messages; this finishes
 * the filtering there, for all consumers of the process. Installed once.
 */
export function dropAbortedTransactions(): void {
  if (installed) return;
  installed = true;
  diagnostics
    .channel('tracing:plt:kafka:consumer:fetches:asyncStart')
    .subscribe((context) => dropAbortedRecords((context as TraceContext).result as FetchResponse));
}
