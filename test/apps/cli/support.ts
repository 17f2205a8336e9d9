// Helpers of the CLI tests: the real `music` binary as a child process, and the services it
// talks to started inside the test on ephemeral ports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Publisher } from '../../../src/adapters/kafka/publisher.ts';
import { createRestRuntime } from '../../../src/apps/rest/runtime.ts';
import { type AlbumRecord, fromCents } from '../../../src/domain/album.ts';
import { decodeAlbum } from '../../../src/domain/album-codec.ts';
import { configWith, freshTopics, log, readTopic, uniqueName } from '../../support/stack.ts';
import { recordCount } from '../consumer/support.ts';

export const root = join(import.meta.dirname, '..', '..', '..');
const node = join(root, 'node_modules', '.bin', 'node');
const bin = join(root, 'bin', 'music.mjs');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `music args…` to completion with extra environment variables; stdio is not a TTY. */
export function music(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [bin, ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : (err as { code?: unknown }).code;
        if (typeof code !== 'number') reject(err);
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `music --json args…`, expects success and nothing on stderr, and parses stdout. */
export async function musicJson<T>(args: readonly string[], env: Record<string, string> = {}) {
  const run = await music(['--json', ...args], env);
  assert.equal(run.code, 0, `music ${args.join(' ')} failed: ${run.stderr}`);
  assert.equal(run.stderr, '', 'nothing on stderr');
  assert.equal(run.stdout.split('\n').filter(Boolean).length, 1, 'one JSON document on one line');
  return JSON.parse(run.stdout) as T;
}

/** Asserts a failure as scripts see it: `code`, nothing on stdout, one line on stderr. */
export function assertFailure(run: Run, code: number, line: RegExp): void {
  assert.equal(run.code, code, `exit code (stderr: ${run.stderr})`);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr.split('\n').at(-1), '', 'the line ends with a newline');
  const lines = run.stderr.split('\n').slice(0, -1);
  assert.equal(lines.length, 1, `one line: ${JSON.stringify(run.stderr)}`);
  assert.match(lines[0] ?? '', line);
}

/** The summary of a command that sent albums. */
export interface SendSummary {
  readonly albums: number;
  readonly firstId: number;
  readonly lastId: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** Every record of a topic, decoded, after checking that the topic holds exactly `count`. */
export async function topicAlbums(
  topic: string,
  count: number,
): Promise<{ key: string | undefined; album: AlbumRecord }[]> {
  assert.equal(await recordCount(topic), count, `${count} records on ${topic}`);
  const records = await readTopic(topic, count, 20_000);
  assert.equal(records.length, count);
  return records.map((r) => {
    const decoded = decodeAlbum(r.value);
    assert.ok(decoded.ok, `record ${r.partition}@${r.offset} decodes`);
    return { key: r.key?.toString(), album: decoded.album };
  });
}

/** An album as the CLI prints it, from a decoded record. */
export const asPrinted = (a: AlbumRecord) => ({
  id: a.id,
  title: a.title,
  artist: a.artist,
  price: fromCents(a.priceCents),
});

/**
 * The REST runtime src/apps/rest/main.ts starts, listening on an ephemeral port and publishing to
 * a fresh topic; `batches` lists the size of every publish, i.e. of every request.
 */
export async function startRestApi(t: TestContext, label: string) {
  const { topic, dlq } = await freshTopics(label);
  const batches: number[] = [];
  const counted = (real: Publisher): Publisher => ({
    publish: (to, messages) => {
      batches.push(messages.length);
      return real.publish(to, messages);
    },
    close: () => real.close(),
  });
  const rest = await createRestRuntime(
    configWith({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      KAFKA_CLIENT_ID: uniqueName(label),
      DB_POOL_MAX: 2,
    }),
    { log, createTopics: false, publisher: counted },
  );
  t.after(() => rest.close());
  const { host, port } = rest.address;
  return { topic, batches, env: { REST_HOST: host, REST_PORT: String(port) } };
}
