// Fixes in installed dependencies that their releases lack, applied right after `npm ci` (by
// infra/bootstrap.mjs and the Dockerfile). Each one replaces exact text and fails loudly when
// that text is not there (a new version: check whether the fix landed, then drop the entry).
// Plain JavaScript: it runs on whatever Node runs npm.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

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
  files: [
    join('node_modules', '@platformatic', 'kafka', 'dist', 'clients', 'producer', 'producer.js'),
  ],
  version: { file: join('node_modules', '@platformatic', 'kafka', 'package.json'), is: '2.12.1' },
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

const PATCHES = [
  { name: 'postgres null-socket', ...POSTGRES_NULL_SOCKET },
  { name: '@platformatic/kafka produce regroup', ...PLATFORMATIC_PRODUCE_REGROUP },
];

/** Applies every patch; a file already patched is left as it is. Returns the files changed. */
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
      let text = readFileSync(path, 'utf8');
      if (text.includes('// music-service patch')) continue;
      for (const [from, to] of patch.edits) {
        if (!text.includes(from))
          throw new Error(`${file}: the text to patch was not found: ${from}`);
        text = text.replace(from, to);
      }
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
