// The deployments run Kafka as the local cluster does (KAFKA_NODES=3): three nodes, three replicas
// of every topic, two of them in sync for a write, and consumers that are static group members.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { minInsyncReplicas } from '../../src/adapters/kafka/topics.ts';
import { DEPLOY, K8S, readYaml, roleOfCommand } from './files.ts';
import {
  type Container,
  type Kafka,
  type KafkaNodePool,
  type KafkaTopic,
  ofKind,
  type Workload,
} from './k8s-objects.ts';
import { kustomize } from './kustomize.ts';

const { objects } = kustomize(K8S);

/** The replication settings every deployment's brokers must have with three nodes. */
const REPLICATED = {
  'default.replication.factor': 3,
  'min.insync.replicas': minInsyncReplicas(3),
  'offsets.topic.replication.factor': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': minInsyncReplicas(3),
} as const;

test('Strimzi: three dual-role nodes, three replicas of everything, two in sync for a write', () => {
  const pools = ofKind<KafkaNodePool>(objects, 'KafkaNodePool');
  const count = (role: string) =>
    pools.filter((p) => p.spec.roles.includes(role)).reduce((n, p) => n + p.spec.replicas, 0);
  assert.equal(count('broker'), 3, 'three brokers');
  assert.equal(count('controller'), 3, 'three controllers: a majority survives one');
  const [kafka] = ofKind<Kafka>(objects, 'Kafka');
  const config = (kafka?.spec.kafka as { config?: Record<string, unknown> } | undefined)?.config;
  for (const [name, value] of Object.entries(REPLICATED))
    assert.equal(Number(config?.[name]), value, name);
  for (const t of ofKind<KafkaTopic>(objects, 'KafkaTopic')) {
    assert.equal(t.spec.replicas, 3, `${t.metadata.name}: replicas`);
    assert.equal(Number(t.spec.config?.['min.insync.replicas']), 2, `${t.metadata.name}: ISR`);
  }
});

type EnvVar = NonNullable<Container['env']>[number] & {
  valueFrom?: { fieldRef?: { fieldPath: string } };
};

test("Kubernetes: each consumer pod is a static group member under its pod's name", () => {
  const consumers = ofKind<Workload>(objects, 'Deployment')
    .flatMap((d) => d.spec.template.spec.containers)
    .filter((c) => roleOfCommand([...(c.command ?? []), ...(c.args ?? [])]).startsWith('consumer'));
  assert.ok(consumers.length >= 2, 'both consumers');
  for (const c of consumers) {
    const id = (c.env as EnvVar[] | undefined)?.find((e) => e.name === 'KAFKA_GROUP_INSTANCE_ID');
    assert.equal(id?.valueFrom?.fieldRef?.fieldPath, 'metadata.name', c.name);
  }
});

interface ComposeService {
  image?: string;
  profiles?: string[];
  command?: unknown;
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string; required?: boolean }>;
}

/** The value a `${NAME:-default}` interpolation takes with NAME set as in `vars`. */
function interpolate(value: unknown, vars: Record<string, string>): string {
  return String(value).replace(
    /\$\{(\w+):-([^}]*)\}/g,
    (_, name: string, fallback: string) => vars[name] ?? fallback,
  );
}

test("Compose's ha profile: two more brokers in kafka's cluster, replicated as on Strimzi once asked", () => {
  const { services } = readYaml<{ services: Record<string, ComposeService> }>(
    `${DEPLOY}/compose.yaml`,
  );
  const brokers = Object.entries(services).filter(
    ([, s]) => s.image?.startsWith('apache/kafka') && s.command === undefined,
  );
  const [first, ...more] = brokers;
  assert.ok(first, 'the kafka service');
  assert.equal(first[1].profiles, undefined, 'the first broker runs without a profile');
  assert.equal(more.length, 2, 'two more brokers');
  const quorum = first[1].environment?.KAFKA_CONTROLLER_QUORUM_VOTERS;
  const ha = { MUSIC_KAFKA_REPLICAS: '3', MUSIC_KAFKA_MIN_INSYNC: '2' };
  for (const [name, s] of brokers) {
    const env = s.environment ?? {};
    assert.equal(env.KAFKA_CONTROLLER_QUORUM_VOTERS, quorum, `${name}: one quorum`);
    assert.equal(env.CLUSTER_ID, first[1].environment?.CLUSTER_ID, `${name}: one cluster`);
    for (const [setting, value] of Object.entries(REPLICATED)) {
      const key = `KAFKA_${setting.toUpperCase().replaceAll('.', '_')}`;
      // One replica of everything by default, as a single broker needs; three with the profile.
      assert.equal(interpolate(env[key], {}), '1', `${name}: ${key} alone`);
      assert.equal(Number(interpolate(env[key], ha)), value, `${name}: ${key} with ha`);
    }
  }
  for (const [name, s] of more) {
    assert.deepEqual(s.profiles, ['ha'], name);
    assert.equal(s.environment?.KAFKA_PROCESS_ROLES, 'broker', name);
    assert.match(
      String(s.environment?.KAFKA_ADVERTISED_LISTENERS),
      new RegExp(`BROKER://${name}:`),
    );
  }
  const consumers = Object.entries(services).filter(([name]) => name.startsWith('consumer-'));
  assert.equal(consumers.length, 2, 'both consumers');
  const instances = consumers.map(([, s]) => s.environment?.KAFKA_GROUP_INSTANCE_ID);
  assert.equal(new Set(instances).size, 2, `a static member name each: ${instances.join(', ')}`);
  const ids = brokers.map(([, s]) => Number(s.environment?.KAFKA_NODE_ID));
  assert.equal(new Set(ids).size, 3, 'distinct node ids');
  // The topic job waits for the profile's brokers when they run, and makes the topics with the
  // replication the brokers were given.
  const job = Object.values(services).find(
    (s) => s.image?.startsWith('apache/kafka') && s.command !== undefined,
  );
  for (const [name] of more) {
    assert.equal(job?.depends_on?.[name]?.required, false, `the job waits for ${name} if it runs`);
    assert.equal(job?.depends_on?.[name]?.condition, 'service_healthy');
  }
  const script = JSON.stringify(job?.command);
  assert.match(script, /--replication-factor \\"\$\$MUSIC_KAFKA_REPLICAS\\"/);
  assert.match(script, /min\.insync\.replicas=\\"\$\$MUSIC_KAFKA_MIN_INSYNC\\"/);
  assert.equal(interpolate(job?.environment?.MUSIC_KAFKA_REPLICAS, ha), '3');
});
