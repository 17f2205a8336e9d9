import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { platformaticConnection } from '../../../src/adapters/kafka/connection.ts';
import { encodeAlbum } from '../../../src/domain/album-codec.ts';
import { idBlock, kafka, produceRaw, testSql, uniqueName, waitFor } from '../../support/stack.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const sql = testSql(1);
after(() => sql.end());

for (const client of ['platformatic', 'confluent'] as const) {
  test(`music consume --client ${client} creates its topics, stores what arrives and stops on SIGTERM`, async (t) => {
    const topic = uniqueName(`cli-${client}`);
    const child = spawn(
      process.execPath,
      [join(root, 'bin', 'music.mjs'), 'consume', '--client', client],
      {
        cwd: root,
        env: {
          ...process.env,
          KAFKA_TOPIC: topic,
          KAFKA_DLQ_TOPIC: `${topic}.dlq`,
          KAFKA_GROUP_ID: uniqueName('cli-group'),
        },
        stdio: 'ignore',
      },
    );
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const admin = new Admin({
      clientId: 'music-test-cli',
      ...platformaticConnection(kafka),
    });
    t.after(() => admin.close());
    // The child's start-up and its first steps take seconds, more when the cores are shared.
    const counts = await waitFor(
      'the consumer to create its topics',
      async () => {
        const topics = await admin.listTopics();
        if (!topics.includes(topic) || !topics.includes(`${topic}.dlq`)) return undefined;
        const metadata = await admin.metadata({ topics: [topic, `${topic}.dlq`] });
        return [
          metadata.topics.get(topic)?.partitionsCount,
          metadata.topics.get(`${topic}.dlq`)?.partitionsCount,
        ];
      },
      120_000,
    );
    assert.deepEqual(counts, [6, 6]);

    const [id] = idBlock(1) as [number];
    await produceRaw(topic, [
      {
        key: String(id),
        value: encodeAlbum({ id, title: `From ${client}`, artist: 'CLI', priceCents: 1234n }),
      },
    ]);
    const row = await waitFor(
      'the album row',
      async () => {
        const [found] = await sql<
          { title: string; price: string }[]
        >`select title, price from music.albums where id = ${id}`;
        return found ? { ...found } : undefined;
      },
      120_000,
    );
    assert.deepEqual(row, { title: `From ${client}`, price: '12.34' });

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
}
