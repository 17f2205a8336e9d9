// The local broker's authentication and ACLs (infra/kafka-auth.ts), on a private broker formatted
// the way `npm start` formats the shared one: who may connect, and what each principal may do.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer } from '@platformatic/kafka';
import {
  ensureServiceAcls,
  localKafkaConnection,
  readKafkaPasswords,
} from '../../infra/kafka-auth.ts';
import { runQuiet } from '../../infra/run-quiet.ts';
import {
  type KafkaConnection,
  platformaticConnection,
} from '../../src/adapters/kafka/connection.ts';
import { ensureTopics } from '../../src/adapters/kafka/topics.ts';
import { startConsumer } from '../apps/consumer/support.ts';
import { postAlbums, storedAlbums } from '../faults/support.ts';
import { cleanupStack } from '../support/cleanup.ts';
import { privateKafka } from '../support/private-infra.ts';
import { restStack } from '../support/rest-stack.ts';
import { idBlock, log, testSql, uniqueName, waitFor } from '../support/stack.ts';

/** Where the confluent client's build put its librdkafka (the one `npm run kcat` uses). */
const LIBRDKAFKA_DIR = resolve(
  import.meta.dirname,
  '../../node_modules/@confluentinc/kafka-javascript/build/deps',
);

/** The error a call failed with, as text (causes and nested errors included), or null. */
async function failure(work: () => Promise<unknown>): Promise<string | null> {
  try {
    await work();
    return null;
  } catch (e: unknown) {
    return inspect(e, { depth: 8 });
  }
}

const admin = (c: KafkaConnection) =>
  new Admin({
    clientId: uniqueName('acl-admin'),
    ...platformaticConnection(c),
    retries: 0,
    timeout: 5000,
  });

async function produce(c: KafkaConnection, topic: string): Promise<void> {
  const producer = new Producer({
    clientId: uniqueName('acl-producer'),
    ...platformaticConnection(c),
    idempotent: true,
    acks: ProduceAcks.ALL,
    retries: 0,
    timeout: 5000,
  });
  try {
    await producer.send({ messages: [{ topic, key: Buffer.from('1'), value: Buffer.from('x') }] });
  } finally {
    await producer.close();
  }
}

/** Joins `groupId` and reads `topic` from its start until one record came. */
async function readOne(c: KafkaConnection, topic: string, groupId: string): Promise<void> {
  const consumer = new Consumer({
    clientId: uniqueName('acl-consumer'),
    groupId,
    ...platformaticConnection(c),
    // A new broker creates its offsets topic at the first group's call: the coordinator may be
    // "not available" for a few seconds. Refusals are not retried.
    retries: 20,
    retryDelay: 500,
    timeout: 5000,
  });
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const timer = setTimeout(() => stream.destroy(new Error('no record within 15 s')), 15_000);
    try {
      for await (const _ of stream) break;
    } finally {
      clearTimeout(timer);
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
}

test('the broker takes only SCRAM logins, and each service principal only what its ACLs allow', {
  timeout: 240_000,
}, async (t) => {
  const defer = cleanupStack(t);
  const kafka = await privateKafka(defer, 'acls');
  const asAdmin = kafka.connection;
  assert.equal(asAdmin.sasl?.mechanism, 'SCRAM-SHA-512', 'a new broker is formatted with logins');
  const passwords = readKafkaPasswords(kafka.dataDir);
  assert.ok(passwords, 'the principals’ passwords are kept in the data dir');
  const as = (role: 'rest' | 'consumer') => localKafkaConnection(asAdmin.brokers, passwords, role);
  const topic = uniqueName('acl-albums');
  const dlq = `${topic}.dlq`;
  const groupId = uniqueName('acl-group');
  const clientId = uniqueName('acl-rest');
  await ensureTopics(asAdmin, [
    { name: topic, partitions: 3 },
    { name: dlq, partitions: 1 },
  ]);
  await ensureServiceAcls(asAdmin, {
    topic,
    dlqTopic: dlq,
    groupId,
    transactionalIdPrefix: `${clientId}-rest`,
  });

  // People's tools log in with the client properties the broker's first start wrote: kcat, on
  // the project's librdkafka (Debian's 2.0 fails SCRAM with Kafka 4 brokers), as `npm run kcat`.
  const kcat = await runQuiet(
    'kcat',
    ['-F', join(kafka.dataDir, 'kafka', 'client.properties'), '-L', '-J'],
    {
      env: { ...process.env, LD_LIBRARY_PATH: LIBRDKAFKA_DIR },
    },
  );
  assert.equal(kcat.code, 0, kcat.out);
  const listed = JSON.parse(kcat.stdout) as { topics: { topic: string }[] };
  assert.ok(
    listed.topics.some((t) => t.topic === topic),
    `kcat lists ${topic}: ${kcat.stdout}`,
  );

  // Who may connect.
  const anonymous = { ...asAdmin, sasl: null };
  assert.notEqual(await failure(() => admin(anonymous).listTopics()), null, 'no login, no answer');
  const wrong = localKafkaConnection(asAdmin.brokers, { ...passwords, rest: 'wrong' }, 'rest');
  assert.match((await failure(() => admin(wrong).listTopics())) ?? '', /SASL|auth/i);

  // The REST API's principal writes albums and nothing else.
  const rest = as('rest');
  assert.equal(await failure(() => produce(rest, topic)), null, 'rest writes albums');
  assert.match(
    (await failure(() => produce(rest, dlq))) ?? '',
    /AUTHORIZATION/i,
    'rest writes no dead letters',
  );
  assert.match(
    (await failure(() => readOne(rest, topic, groupId))) ?? '',
    /AUTHORIZATION/i,
    'rest cannot join the group nor read',
  );
  const deleting = admin(rest);
  assert.match(
    (await failure(() =>
      deleting.deleteTopics({ topics: [topic] }).finally(() => deleting.close()),
    )) ?? '',
    /AUTHORIZATION/i,
    'rest cannot delete the topic',
  );

  // The consumers' principal reads albums in its group and writes dead letters, nothing else.
  const consumer = as('consumer');
  assert.equal(await failure(() => readOne(consumer, topic, groupId)), null, 'consumers read');
  assert.match(
    (await failure(() => readOne(consumer, topic, uniqueName('other-group')))) ?? '',
    /AUTHORIZATION/i,
    'not in another group',
  );
  assert.match(
    (await failure(() => produce(consumer, topic))) ?? '',
    /AUTHORIZATION/i,
    'consumers write no albums',
  );
  assert.equal(await failure(() => produce(consumer, dlq)), null, 'consumers write dead letters');

  // And the services themselves run on exactly these rights: an album posted through the REST
  // API as `rest` (transactional) is stored by a consumer as `consumer`.
  const sql = testSql(2);
  defer(() => sql.end({ timeout: 5 }));
  const api = await restStack({ sql, kafka: rest, topic, groupId, clientId, log });
  defer(() => api.close());
  const member = startConsumer(t, {
    client: 'confluent',
    topic,
    dlq,
    groupId,
    sql,
    kafka: consumer,
  });
  defer(() => member.stop());
  const [id] = idBlock(1);
  assert.ok(id);
  const posted = await postAlbums(api.app, [
    { id, title: 'Secured', artist: 'The ACLs', price: 1.5 },
  ]);
  assert.equal(posted.status, 202, posted.body);
  await waitFor(
    'the album stored',
    async () => ((await storedAlbums(sql, [id])).size === 1 ? true : undefined),
    60_000,
  );
  // Its metrics read the group and both topics' ends as `music-rest` (music_kafka_up is 1 only
  // when every reading worked), on its own metrics port.
  await waitFor(
    'music_kafka_up 1 as music-rest',
    async () => {
      const text = await (await fetch(api.metricsServer.url)).text();
      return /^music_kafka_up 1$/m.test(text) ? true : undefined;
    },
    30_000,
  );
});
