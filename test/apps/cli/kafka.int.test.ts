// `music kafka produce` with both clients, straight to a topic of the test's own; a progress bar
// when stderr is a terminal.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { idBlock, uniqueName } from '../../support/stack.ts';
import { asPrinted, musicJson, root, type SendSummary, topicAlbums } from './support.ts';

interface ProduceSummary extends SendSummary {
  readonly client: string;
  readonly topic: string;
}

/** Environment for a topic no one else uses; the command creates it as the services do. */
function topicEnv(label: string) {
  const topic = uniqueName(label);
  return { topic, env: { KAFKA_TOPIC: topic, KAFKA_DLQ_TOPIC: `${topic}.dlq` } };
}

test('kafka produce --client platformatic --count: keyed service.Album records, ids from the sequence', async () => {
  const { topic, env } = topicEnv('cli-produce-plt');
  const summary = await musicJson<ProduceSummary>(
    ['kafka', 'produce', '--client', 'platformatic', '--count', '1500', '--artist', 'Platformatic'],
    env,
  );
  assert.equal(summary.client, 'platformatic');
  assert.equal(summary.topic, topic);
  assert.equal(summary.albums, 1500);
  const records = await topicAlbums(topic, 1500);
  const ids = records.map((r) => r.album.id);
  assert.equal(new Set(ids).size, 1500, 'every album got its own id');
  assert.ok(Math.min(...ids) >= 101, 'ids from music.album_id_seq');
  assert.equal(Math.min(...ids), summary.firstId);
  assert.equal(Math.max(...ids), summary.lastId);
  assert.ok(
    records.every((r) => r.key === String(r.album.id) && r.album.artist === 'Platformatic'),
  );
});

test('kafka produce --client confluent --first-id: the albums given, under consecutive ids', async () => {
  const { topic, env } = topicEnv('cli-produce-rdk');
  const [first] = idBlock(1200) as [number];
  const summary = await musicJson<ProduceSummary>(
    [
      'kafka',
      'produce',
      '--client',
      'confluent',
      '--count',
      '1200',
      '--first-id',
      String(first),
      '--title',
      'Librdkafka',
      '--price',
      '99999999.99',
    ],
    env,
  );
  assert.deepEqual(
    {
      client: summary.client,
      albums: summary.albums,
      firstId: summary.firstId,
      lastId: summary.lastId,
    },
    { client: 'confluent', albums: 1200, firstId: first, lastId: first + 1199 },
  );
  const records = await topicAlbums(topic, 1200);
  assert.deepEqual(
    records.map((r) => ({ key: r.key, ...asPrinted(r.album) })).toSorted((a, b) => a.id - b.id),
    Array.from({ length: 1200 }, (_, i) => i + 1).map((n) => ({
      key: String(first + n - 1),
      id: first + n - 1,
      title: `Librdkafka ${n}`,
      artist: 'Sample Artist',
      price: 99999999.99,
    })),
  );
});

test('a progress bar with the rate on a terminal', async () => {
  const { topic, env } = topicEnv('cli-produce-tty');
  const [first] = idBlock(2000) as [number];
  const args = ['kafka', 'produce', '--client', 'platformatic', '--count', '2000'];
  args.push('--first-id', String(first), '--batch-size', '100', '--concurrency', '1');
  const command = [`${root}/node_modules/.bin/node`, `${root}/bin/music.mjs`, ...args].join(' ');
  // script(1) runs the command on a pseudo-terminal and copies what it writes.
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      'script',
      ['--quiet', '--return', '--command', command, '/dev/null'],
      { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
  });
  assert.match(output, /\| 2000\/2000 albums \| [1-9]\d* albums\/s \| ETA/);
  assert.match(
    output,
    /produced 2000 albums to \S+ with platformatic in \d+\.\d\d s \(\d+ albums\/s\)/,
  );
  assert.equal((await topicAlbums(topic, 2000)).length, 2000);
});
