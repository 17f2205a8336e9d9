// The local cluster's layout (infra/kafka-cluster.ts) and how KAFKA_NODES chooses it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterBrokers, clusterNode, clusterPorts } from '../../infra/kafka-cluster.ts';
import { localKafkaCluster } from '../../infra/provision.ts';
import { ConfigError, loadConfig } from '../../src/shared/config.ts';

const noPasswords = () => undefined;
const configOf = (env: Record<string, string>) =>
  loadConfig({ DATABASE_URL: 'postgres://music:pw@127.0.0.1:5432/music', ...env }, noPasswords);

test('three nodes two ports apart, each a voter at its port + 1, in folders of their own', () => {
  const o = {
    projectRoot: '/p',
    dataDir: '/d/kafka-cluster',
    jarsDir: '/d',
    host: '127.0.0.1',
    ports: clusterPorts(9092, 3),
    report: () => {},
  };
  assert.deepEqual(o.ports, [9092, 9094, 9096]);
  assert.deepEqual(clusterBrokers(o), ['127.0.0.1:9092', '127.0.0.1:9094', '127.0.0.1:9096']);
  const nodes = o.ports.map((_, i) => clusterNode(o, i));
  assert.deepEqual(
    nodes.map((n) => [n.cluster?.nodeId, n.port, n.dataDir]),
    [
      [1, 9092, '/d/kafka-cluster/node-1'],
      [2, 9094, '/d/kafka-cluster/node-2'],
      [3, 9096, '/d/kafka-cluster/node-3'],
    ],
  );
  for (const n of nodes)
    assert.equal(n.cluster?.voters, '1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097');
  assert.throws(() => clusterNode(o, 3), /no node 4/);
});

test('KAFKA_NODES: one node by default; 3 gives every service three local brokers; 2 is refused', () => {
  const one = configOf({});
  assert.equal(one.KAFKA_NODES, 1);
  assert.deepEqual(one.KAFKA_BROKERS, ['127.0.0.1:9092']);
  assert.equal(
    localKafkaCluster(one, () => {}),
    null,
  );

  const three = configOf({ KAFKA_NODES: '3' });
  assert.deepEqual(three.KAFKA_BROKERS, ['127.0.0.1:9092', '127.0.0.1:9094', '127.0.0.1:9096']);
  const cluster = localKafkaCluster(three, () => {});
  assert.deepEqual(cluster?.ports, [9092, 9094, 9096]);
  assert.match(cluster?.dataDir ?? '', /kafka-cluster$/);

  const moved = configOf({
    KAFKA_NODES: '3',
    KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096',
  });
  assert.deepEqual(localKafkaCluster(moved, () => {})?.ports, [19092, 19094, 19096]);

  assert.throws(
    () => configOf({ KAFKA_NODES: '2' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /KAFKA_NODES must be 1 or 3/);
      return true;
    },
  );
  // A cluster elsewhere is not started here: its brokers must all be on this machine.
  const remote = configOf({ KAFKA_NODES: '3', KAFKA_BROKERS: 'k1:9092,k2:9092,k3:9092' });
  assert.throws(() => localKafkaCluster(remote, () => {}), /3 loopback addresses/);
});
