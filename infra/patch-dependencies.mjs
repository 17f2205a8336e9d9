// Fixes in installed dependencies that their releases lack, applied right after `npm ci` (by
// infra/bootstrap.mjs and the Dockerfile). Each one replaces exact text and fails loudly when
// that text is not there (a new version: check whether the fix landed, then drop the entry).
// Plain JavaScript: it runs on whatever Node runs npm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** @platformatic/kafka's compiled files, and the one version the patches below are for. */
const platformatic = (file) => join('node_modules', '@platformatic', 'kafka', 'dist', file);
const PLATFORMATIC_VERSION = {
  file: join('node_modules', '@platformatic', 'kafka', 'package.json'),
  is: '2.12.1',
};

/**
 * postgres 3.4.9: a write shorter than 1 KiB is flushed on the next turn (setImmediate); when the
 * connection closes first (a killed backend), `socket` is null by then and the flush throws a
 * TypeError no caller can catch, which ends the process (porsager/postgres#1066, #1154, #1208;
 * fix proposed in #1168). Teardown also cleared that timer without forgetting it, so a
 * reconnected connection never flushed a short write again. The flush now drops what was meant
 * for the closed socket (its queries were already rejected), and teardown forgets the timer.
 */
const POSTGRES_NULL_SOCKET = {
  files: ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js'].map((f) =>
    join('node_modules', 'postgres', f),
  ),
  version: { file: join('node_modules', 'postgres', 'package.json'), is: '3.4.9' },
  edits: [
    [
      '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
      '  function nextWrite(fn) {\n    if (socket === null) { chunk = nextWriteTimer = null; return false } // music-service patch\n    const x = socket.write(chunk, fn)',
    ],
    [
      '    clearImmediate(nextWriteTimer)\n    if (socket) {',
      '    clearImmediate(nextWriteTimer)\n    nextWriteTimer = null // music-service patch\n    if (socket) {',
    ],
    [
      '    clearImmediate(nextWriteTimer)\n    socket.removeListener(',
      '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null // music-service patch\n    socket.removeListener(',
    ],
  ],
};

/**
 * @platformatic/kafka 2.12.1: a produce request is retried whole to the leader of its first
 * record's partition, so when a leader moved between attempts, the records of partitions now
 * led by another broker are refused NOT_LEADER_OR_FOLLOWER at every retry until the deadline
 * (a 503 with every replica in sync, seen once or a few times per rolling restart of three
 * brokers). Each attempt now sends each partition's records to its leader of the moment, in one
 * request per leader, and a refusal for stale metadata fetches it afresh before the next. Records
 * a broker had already written are not written twice: each keeps its sequence number in every
 * attempt, and the broker answers a repeated batch of an idempotent producer with its offset.
 */
const PLATFORMATIC_PRODUCE_REGROUP = {
  files: [platformatic('clients/producer/producer.js')],
  version: PLATFORMATIC_VERSION,
  edits: [
    [
      `                refreshMetadata = false;
                const leader = metadata.topics.get(topic).partitions[partition].leader;
                this[kGetConnection](metadata.brokers.get(leader), (error, connection) => {`,
      `                refreshMetadata = false;
                // music-service patch: each partition's records to its leader of the moment.
                const byLeader = new Map();
                for (const m of messages) {
                    const l = metadata.topics.get(m.topic).partitions[m.partition].leader;
                    const group = byLeader.get(l);
                    if (group) group.push(m);
                    else byLeader.set(l, [m]);
                }
                if (byLeader.size > 1) {
                    runConcurrentCallbacks('Producing messages failed.', byLeader, ([l, group], groupCallback) => {
                        this[kGetConnection](metadata.brokers.get(l), (error, connection) => {
                            if (error) {
                                groupCallback(error);
                                return;
                            }
                            this[kGetApi]('Produce', (error, api) => {
                                if (error) {
                                    groupCallback(error);
                                    return;
                                }
                                api(connection, acks, timeout, group, produceOptions, groupCallback);
                            });
                        });
                    }, (error, responses) => {
                        refreshMetadata = NetworkError.isRetryable(error) || !!findErrorBy(error, 'hasStaleMetadata', true);
                        const first = responses.find(Boolean);
                        retryCallback(error, first && { ...first, responses: responses.flatMap(r => r?.responses ?? []) });
                    });
                    return;
                }
                const leader = metadata.topics.get(topic).partitions[partition].leader;
                this[kGetConnection](metadata.brokers.get(leader), (error, connection) => {`,
    ],
    [
      `                        api(connection, acks, timeout, messages, produceOptions, (error, response) => {
                            refreshMetadata = NetworkError.isRetryable(error);`,
      `                        api(connection, acks, timeout, messages, produceOptions, (error, response) => {
                            refreshMetadata = NetworkError.isRetryable(error) || !!findErrorBy(error, 'hasStaleMetadata', true);`,
    ],
  ],
};

/**
 * @platformatic/kafka 2.12.1: a commit refused for a group reason rejoins the group and retries.
 * When the member had already rejoined meanwhile (its heartbeat found the rebalance first, which
 * under load is the usual order), the refusal is about the generation it left: the library still
 * takes it as its own, and under cooperative-sticky it forgets the partitions of the new
 * generation and joins again with none owned, which changes its subscription and starts another
 * rebalance (a new generation every few seconds, never settling, with a member left empty). And
 * a refusal met while a join is under way sends a second JoinGroup whose subscription (new
 * generation) differs from the first's, which starts another rebalance too. Either refusal now
 * waits for the join under way to end (a rebalance timeout at most) and retries the commit at the
 * generation it gave; the offsets of partitions the join took away are pruned from the retry by
 * the join's event (src/adapters/kafka/shims/platformatic-commit.ts).
 */
const PLATFORMATIC_STALE_COMMIT = {
  files: [platformatic('clients/consumer/consumer.js')],
  version: PLATFORMATIC_VERSION,
  edits: [
    [
      `    #commit(options, callback, rejoinAttempts = 0) {
        this.#performGroupOperation('commit', (connection, groupCallback) => {`,
      `    #commit(options, callback, rejoinAttempts = 0) {
        let sentGeneration; // music-service patch
        this.#performGroupOperation('commit', (connection, groupCallback) => {`,
    ],
    [
      `                api(connection, this.groupId, this.#useConsumerGroupProtocol ? this.#memberEpoch : this.generationId, this.memberId, null, Array.from(topics.values()), groupCallback);
            });
        }, error => {
            if (error && rejoinAttempts < this[kOptions].retries && this.#getRejoinError(error)) {`,
      `                sentGeneration = this.#useConsumerGroupProtocol ? this.#memberEpoch : this.generationId;
                api(connection, this.groupId, sentGeneration, this.memberId, null, Array.from(topics.values()), groupCallback);
            });
        }, error => {
            const current = this.#useConsumerGroupProtocol ? this.#memberEpoch : this.generationId;
            // No heartbeat runs while a join is under way.
            const joining = () => this.#heartbeatInterval === null && this.#membershipActive;
            if (error && rejoinAttempts < this[kOptions].retries && sentGeneration !== undefined && (sentGeneration !== current || joining()) && findErrorBy(error, 'needsRejoin', true)) {
                const giveUpAt = Date.now() + (this[kOptions].rebalanceTimeout ?? 60_000);
                const retry = () => {
                    if (joining() && Date.now() < giveUpAt) {
                        setTimeout(retry, 20);
                        return;
                    }
                    this.#commit(options, callback, rejoinAttempts + 1);
                };
                retry();
                return;
            }
            if (error && rejoinAttempts < this[kOptions].retries && this.#getRejoinError(error)) {`,
    ],
  ],
};

/**
 * @platformatic/kafka 2.12.1: its cooperative-sticky assignor (used when a platformatic member
 * leads the group) moves a partition only from a member above the ceiling of the fair share to
 * one below its floor, so six partitions over four members stay at 2, 2, 2, 0 when a member
 * comes back (the one that came back reads nothing) and at 3, 1, 1, 1 likewise. Balanced now
 * means every two members within one partition of each other, as in Kafka's own assignor; a
 * partition still moves in two rounds (revoked first, then assigned).
 */
const PLATFORMATIC_STICKY_BALANCE = {
  files: [platformatic('clients/consumer/partitions-assigners.js')],
  version: PLATFORMATIC_VERSION,
  edits: [
    [
      `        const underloadedMembers = sortedMemberIds(assignments).filter(memberId => assignmentSize(assignments.get(memberId)) < minQuota);`,
      `        // music-service patch: balanced is every two members within one partition of each other.
        const anyAbove = sortedMemberIds(assignments).some(memberId => assignmentSize(assignments.get(memberId)) > maxQuota);
        const anyBelow = sortedMemberIds(assignments).some(memberId => assignmentSize(assignments.get(memberId)) < minQuota);
        const underloadedMembers = sortedMemberIds(assignments).filter(memberId => assignmentSize(assignments.get(memberId)) < (anyAbove ? maxQuota : minQuota));`,
    ],
    [
      `            .filter(memberId => assignmentSize(assignments.get(memberId)) > maxQuota)`,
      `            .filter(memberId => assignmentSize(assignments.get(memberId)) > (anyBelow ? minQuota : maxQuota))`,
    ],
    [
      `            for (const overloaded of overloadedMembers) {
                const partition = removablePartition(`,
      `            for (const overloaded of overloadedMembers) {
                // Only a move that narrows the spread: a swap of sizes would never end.
                if (assignmentSize(assignments.get(overloaded)) - assignmentSize(assignments.get(underloaded)) < 2) {
                    continue;
                }
                const partition = removablePartition(`,
    ],
  ],
};

/**
 * @platformatic/kafka 2.12.1: its read_committed filter skips a producer from the first offset
 * of an aborted transaction listed in a fetch response to the producer's LAST abort marker in
 * that response, and keeps one aborted transaction per producer. A response holding two aborts of
 * one producer (a fetch from far behind: a consumer catching up after an outage, a reader from
 * the start) thus dropped every committed transaction of that producer between them: records
 * acknowledged to the REST API, committed at the broker (COMMIT markers in the log), never handed
 * to the consumer, whose offsets moved past them. It now filters as the Java client does.
 */
const PLATFORMATIC_ABORTED_RANGES = {
  files: [platformatic('clients/consumer/consumer.js')],
  version: PLATFORMATIC_VERSION,
  edits: [
    [
      'import { IS_CONTROL } from "../../protocol/records.js";',
      'import { IS_CONTROL, IS_TRANSACTIONAL } from "../../protocol/records.js"; // music-service patch',
    ],
    [
      `                const abortedTransactions = partition.abortedTransactions ?? [];
                if (abortedTransactions.length) {
                    const abortedRanges = new Map();
                    // Find first offsets
                    // For last offsets we set -1n as special value. It allows us to detect open ranges, whichs means
                    // that Kafka has not sent the control marker. In that case we ignore the range for safety.
                    for (const aborted of abortedTransactions) {
                        abortedRanges.set(aborted.producerId, [aborted.firstOffset, -1n]);
                    }
                    // Now find last offsets
                    for (const batch of partition.records) {
                        if (batch.attributes & IS_CONTROL && batch.records[0].key?.readInt16BE(2) === 0) {
                            const abortedRange = abortedRanges.get(batch.producerId);
                            if (abortedRange) {
                                abortedRange[1] = batch.firstOffset;
                            }
                        }
                    }
                    // Filter all records in the aborted ranges
                    partition.records = partition.records.filter(r => {
                        const toSkip = abortedRanges.get(r.producerId);
                        return !toSkip || !(toSkip[1] !== -1n && r.firstOffset >= toSkip[0] && r.firstOffset < toSkip[1]);
                    });
                }`,
      `                // music-service patch: the Java client's filter. Walking the batches in offset order,
                // a producer listed as aborted from an offset is skipped from there until its next
                // abort marker, whether or not the marker is in this response; its batches are
                // emptied, not removed, so that the stream's offsets still move past them.
                const aborted = [...(partition.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
                if (aborted.length) {
                    const skipping = new Set();
                    let next = 0;
                    for (const batch of partition.records) {
                        const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
                        for (; next < aborted.length && aborted[next].firstOffset <= last; next++) {
                            skipping.add(aborted[next].producerId);
                        }
                        if (batch.attributes & IS_CONTROL) {
                            if (batch.records[0]?.key?.readInt16BE(2) === 0) {
                                skipping.delete(batch.producerId);
                            }
                        }
                        else if (batch.attributes & IS_TRANSACTIONAL && skipping.has(batch.producerId)) {
                            batch.records = [];
                        }
                    }
                }`,
    ],
  ],
};

/**
 * @platformatic/kafka 2.12.1: a group join resets the stream's fetch offsets to the committed
 * ones, but a fetch sent before the join and answered after it (one to a dying broker can hang for
 * many seconds) still moved them to where that fetch ended and pushed its records. For a
 * partition revoked and given back meanwhile, the records between its committed offset and that
 * fetch's offset, dropped at the revoke, were never read again. A fetch answered after a later join
 * is now dropped whole and fetched again. The stream also says when its offsets are being reset
 * (`refreshingOffsets`): until then they may be a former assignment's.
 */
const PLATFORMATIC_STALE_FETCH = {
  files: [platformatic('clients/consumer/messages-stream.js')],
  version: PLATFORMATIC_VERSION,
  edits: [
    ['    #offsetsToFetch;\n', '    #offsetsToFetch;\n    #joins = 0; // music-service patch\n'],
    [
      `    get offsetsToFetch() {
        return this.#offsetsToFetch;
    }`,
      `    get offsetsToFetch() {
        return this.#offsetsToFetch;
    }
    get refreshingOffsets() { // music-service patch
        return this.#refreshOffsetsInflight || this.#refreshOffsetsPending;
    }`,
    ],
    [
      `        this.#onConsumerGroupJoin = () => {
            this.#offsetsCommitted.clear();`,
      `        this.#onConsumerGroupJoin = () => {
            this.#joins++; // music-service patch
            this.#offsetsCommitted.clear();`,
    ],
    [
      `                this.#inflightNodes.set(node, Date.now());
                this.#consumer.fetch({ ...this.#options, node, topics: nodeRequests, connectionPool: this[kConnections] }, (error, response) => {
                    this.#inflightNodes.delete(node);
                    this.emit('fetch');`,
      `                this.#inflightNodes.set(node, Date.now());
                const joins = this.#joins; // music-service patch
                this.#consumer.fetch({ ...this.#options, node, topics: nodeRequests, connectionPool: this[kConnections] }, (error, response) => {
                    this.#inflightNodes.delete(node);
                    this.emit('fetch');
                    if (joins !== this.#joins && !(this.#closed || this.closed || this.destroyed)) {
                        process.nextTick(() => {
                            this.#fetch();
                        });
                        return;
                    }`,
    ],
  ],
};

const PATCHES = [
  { name: 'postgres null-socket', ...POSTGRES_NULL_SOCKET },
  { name: '@platformatic/kafka produce regroup', ...PLATFORMATIC_PRODUCE_REGROUP },
  { name: '@platformatic/kafka stale-generation commit', ...PLATFORMATIC_STALE_COMMIT },
  { name: '@platformatic/kafka sticky balance', ...PLATFORMATIC_STICKY_BALANCE },
  { name: '@platformatic/kafka aborted ranges', ...PLATFORMATIC_ABORTED_RANGES },
  { name: '@platformatic/kafka stale fetch', ...PLATFORMATIC_STALE_FETCH },
];

/** Applies every patch; an edit already made is left as it is. Returns the files changed. */
export function patchDependencies() {
  const changed = [];
  for (const patch of PATCHES) {
    const installed = JSON.parse(readFileSync(join(root, patch.version.file), 'utf8')).version;
    if (installed !== patch.version.is)
      throw new Error(
        `${patch.version.file}: ${installed} installed, the ${patch.name} patch is for ${patch.version.is}: check whether it is still needed`,
      );
    for (const file of patch.files) {
      const path = join(root, file);
      const before = readFileSync(path, 'utf8');
      let text = before;
      // Edit by edit: a file may carry several patches, and an install patched before a new one.
      for (const [from, to] of patch.edits) {
        if (text.includes(to)) continue;
        if (!text.includes(from))
          throw new Error(`${file}: the text to patch was not found: ${from}`);
        text = text.replace(from, to);
      }
      if (text === before) continue;
      writeFileSync(path, text);
      changed.push(file);
    }
  }
  return changed;
}

if (process.argv[1] === import.meta.filename) {
  const changed = patchDependencies();
  process.stdout.write(`patched: ${changed.join(', ') || 'nothing (already patched)'}\n`);
}
