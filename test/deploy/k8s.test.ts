// deploy/k8s as `kubectl apply -k deploy/k8s` would apply it (rendered by `kubectl kustomize`,
// or assembled by kustomize.ts where kubectl is not installed): every workload the system needs,
// probes that hit real ports and routes, config the code reads, and the PostgreSQL init scripts
// generated from db/migrations.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KAFKA_ROLES, KAFKA_USERNAMES, serviceAcls } from '../../infra/kafka-auth.ts';
import { MIGRATIONS_DIR, readMigrations } from '../../src/adapters/db/migrate.ts';
import { CLIENTS } from '../../src/apps/consumer/main.ts';
import { CHECKS } from '../../src/apps/probe/checks.ts';
import { CONFIG_KEYS, loadConfig } from '../../src/shared/config.ts';
import { DATABASE_ROLES } from '../../src/shared/local-database.ts';
import { buildOfflineRestApp } from '../support/rest-app.ts';
import { assertPinned, K8S, pkg, ROLES_SCRIPT, roleOfCommand } from './files.ts';
import {
  type ConfigData,
  type Container,
  dataOf,
  type Kafka,
  type KafkaNodePool,
  type KafkaTopic,
  type KafkaUser,
  ofKind,
  type Service,
  type Workload,
} from './k8s-objects.ts';
import { aclLines, aclNamesOf, kafkaRoleOf, strimziAcls } from './kafka-acls.ts';
import { assemble, comparable, configDataNames, kustomize } from './kustomize.ts';

const rendered = kustomize(K8S);
const { objects } = rendered;
const deployments = ofKind<Workload>(objects, 'Deployment');
const statefulSets = ofKind<Workload>(objects, 'StatefulSet');
const services = ofKind<Service>(objects, 'Service');
const configData = [
  ...ofKind<ConfigData>(objects, 'ConfigMap'),
  ...ofKind<ConfigData>(objects, 'Secret'),
];
/** The ConfigMap or Secret of this name (as referenced: kubectl adds a hash to generated names). */
const generated = (name: string) => {
  const g = configData.find((x) => x.metadata.name === name);
  assert.ok(g, `a ConfigMap or Secret named ${name}`);
  return { kind: g.kind, data: dataOf(g) };
};
const containersOf = (w: Workload): Container[] => w.spec.template.spec.containers;

const roleOf = (c: Container): string => roleOfCommand([...(c.command ?? []), ...(c.args ?? [])]);

/**
 * The environment a Deployment's container gets: its ConfigMap's, then its own `env`, where a
 * value from a Secret stands as `secret.name.key` and `$(NAME)` is expanded as the kubelet does.
 */
function envFromOf(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of c.envFrom ?? []) {
    const name = source.configMapRef?.name ?? source.secretRef?.name ?? '';
    const g = generated(name);
    assert.equal(g.kind, source.configMapRef ? 'ConfigMap' : 'Secret', name);
    Object.assign(env, g.data);
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    env[e.name] = ref
      ? secretRef(ref)
      : (e.value ?? '').replace(/\$\((\w+)\)/g, (all, name: string) => env[name] ?? all);
  }
  return env;
}

// URL-safe, so that a URL holding it still parses.
const secretRef = (ref: { name: string; key: string }) => `secret.${ref.name}.${ref.key}`;

/** The variables a container sets only to expand into others (a password into a URL). */
const helperVariables = (c: Container): string[] =>
  (c.env ?? []).filter((e) => e.valueFrom?.secretKeyRef).map((e) => e.name);

test('assembled without kubectl, deploy/k8s gives exactly what kubectl kustomize renders', {
  skip: rendered.by === 'kubectl' ? false : 'kubectl is not installed: nothing to compare with',
}, () => {
  const assembled = assemble(K8S);
  const generatedNames = configDataNames(assembled);
  assert.deepEqual(comparable(objects, generatedNames), comparable(assembled, generatedNames));
});

test('everything goes into the namespace music', () => {
  const ns = ofKind(objects, 'Namespace');
  assert.deepEqual(
    ns.map((n) => n.metadata.name),
    ['music'],
  );
  for (const o of objects) {
    if (o.kind !== 'Namespace')
      assert.equal(o.metadata.namespace, 'music', `${o.kind}/${o.metadata.name}`);
  }
});

test('a Deployment runs each API and each consumer, from our pinned image', () => {
  const roles = deployments.flatMap((d) => containersOf(d).map(roleOf)).sort();
  assert.deepEqual(roles, ['grpc', 'rest', ...CLIENTS.map((c) => `consumer ${c}`)].sort());
  for (const d of deployments) {
    for (const c of containersOf(d)) {
      assert.equal(c.image, `music-service:${pkg.version}`, d.metadata.name);
    }
  }
  for (const o of [...deployments, ...statefulSets]) {
    for (const c of containersOf(o)) assertPinned(c.image, `${o.kind}/${o.metadata.name}`);
  }
});

test('every Deployment has probes, requests and limits, config from the ConfigMap and Secret, and runs as non-root', () => {
  for (const d of deployments) {
    const name = d.metadata.name;
    assert.equal(d.spec.template.spec.securityContext?.runAsNonRoot, true, name);
    assert.deepEqual(d.spec.selector.matchLabels, d.spec.template.metadata.labels, name);
    for (const c of containersOf(d)) {
      assert.ok(c.readinessProbe, `${name}: readiness probe`);
      assert.ok(c.livenessProbe, `${name}: liveness probe`);
      for (const kind of ['requests', 'limits'] as const) {
        assert.ok(c.resources?.[kind]?.cpu, `${name}: cpu ${kind}`);
        assert.ok(c.resources?.[kind]?.memory, `${name}: memory ${kind}`);
      }
      const refs = (c.envFrom ?? []).map((e) =>
        e.configMapRef ? `ConfigMap ${e.configMapRef.name}` : `Secret ${e.secretRef?.name}`,
      );
      assert.ok(
        refs.some((r) => r.startsWith('ConfigMap ')),
        `${name}: envFrom a ConfigMap`,
      );
      const password = (c.env ?? []).find((e) => e.valueFrom?.secretKeyRef);
      assert.ok(password, `${name}: the database password from a Secret`);
    }
  }
});

test('the ConfigMap and Secret hold only variables the config loader knows, and the configuration loads', () => {
  for (const d of deployments) {
    for (const c of containersOf(d)) {
      const env = envFromOf(c);
      const helpers = helperVariables(c);
      for (const key of Object.keys(env))
        assert.ok(
          (CONFIG_KEYS as readonly string[]).includes(key) || helpers.includes(key),
          `${key} is unknown`,
        );
      assert.doesNotThrow(() => loadConfig(env), d.metadata.name);
      assert.match(
        env.DATABASE_URL ?? '',
        /:secret\.[^@]+@/,
        `${d.metadata.name}: DATABASE_URL holds a password from a Secret`,
      );
    }
  }
  for (const config of ofKind<ConfigData>(objects, 'ConfigMap')) {
    const name = config.metadata.name;
    assert.equal(dataOf(config).DATABASE_URL, undefined, `the password stays out of ${name}`);
  }
});

// Probe paths are checked against the REST app itself, built without backends.
let rest: Awaited<ReturnType<typeof buildOfflineRestApp>>;
before(async () => {
  rest = await buildOfflineRestApp();
});
after(() => rest?.close());

/** The container port a probe or Service names, by name or number. */
function portOf(c: Container, port: string | number | undefined): number | undefined {
  return c.ports?.find((p) => p.name === port || p.containerPort === port)?.containerPort;
}

test('REST probes ask routes the API serves, on the port it listens on', async () => {
  for (const d of deployments) {
    for (const c of containersOf(d).filter((x) => roleOf(x) === 'rest')) {
      const config = loadConfig(envFromOf(c));
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        assert.ok(probe?.httpGet, `${d.metadata.name}: an HTTP probe`);
        assert.equal(portOf(c, probe.httpGet.port), config.REST_PORT, 'the REST port');
        const res = await rest.inject({ method: 'GET', url: probe.httpGet.path });
        assert.equal(res.statusCode, 200, `GET ${probe.httpGet.path}`);
      }
    }
  }
});

test('REST metrics: a port named metrics on all interfaces, annotated for Prometheus, no Service', async () => {
  const rests = deployments.filter((d) => containersOf(d).some((c) => roleOf(c) === 'rest'));
  assert.ok(rests.length > 0);
  for (const d of rests) {
    for (const c of containersOf(d).filter((x) => roleOf(x) === 'rest')) {
      const config = loadConfig(envFromOf(c));
      assert.equal(config.METRICS_HOST, '0.0.0.0', `${d.metadata.name}: reachable in the cluster`);
      assert.equal(portOf(c, 'metrics'), config.METRICS_PORT, 'the metrics port, named');
      assert.notEqual(config.METRICS_PORT, config.REST_PORT);
      const annotations = d.spec.template.metadata.annotations ?? {};
      assert.equal(annotations['prometheus.io/scrape'], 'true');
      assert.equal(annotations['prometheus.io/port'], String(config.METRICS_PORT));
      assert.equal(annotations['prometheus.io/path'], '/metrics');
    }
  }
  // The REST Service is a NodePort: the metrics port must not reach the nodes through it.
  for (const s of services)
    for (const p of s.spec.ports)
      assert.notEqual(p.targetPort, 'metrics', `Service ${s.metadata.name} exposes no metrics`);
  // What the annotations point at is not served on the API's port.
  assert.equal((await rest.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
});

test('every process: its metrics port named metrics, annotated for Prometheus, no Service', () => {
  const roles = new Set<string>();
  for (const d of deployments) {
    for (const c of containersOf(d)) {
      const role = roleOf(c);
      if (!/^(rest|grpc|consumer \w+)$/.test(role)) continue;
      roles.add(role);
      // Each takes its own default port (METRICS_PORTS), as when run beside the others.
      const config = loadConfig(envFromOf(c), undefined, role.replace(' ', '-'));
      assert.equal(config.METRICS_HOST, '0.0.0.0', `${d.metadata.name}: reachable in the cluster`);
      assert.equal(portOf(c, 'metrics'), config.METRICS_PORT, `${d.metadata.name}: named`);
      const annotations = d.spec.template.metadata.annotations ?? {};
      assert.equal(annotations['prometheus.io/scrape'], 'true', d.metadata.name);
      assert.equal(annotations['prometheus.io/port'], String(config.METRICS_PORT), d.metadata.name);
    }
  }
  assert.equal(roles.size, 4, [...roles].join(', '));
  for (const s of services)
    for (const p of s.spec.ports)
      assert.notEqual(p.targetPort, 'metrics', `Service ${s.metadata.name} exposes no metrics`);
});

test('gRPC probes ask the standard health service on the gRPC port', () => {
  for (const d of deployments) {
    for (const c of containersOf(d).filter((x) => roleOf(x) === 'grpc')) {
      const config = loadConfig(envFromOf(c));
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        assert.ok(probe?.grpc, `${d.metadata.name}: a grpc probe`);
        assert.equal(probe.grpc.port, config.GRPC_PORT, 'the gRPC port');
        assert.equal(portOf(c, probe.grpc.port), config.GRPC_PORT, 'a declared container port');
        // The server reports on "" (the whole server) and service.MusicService.
        assert.ok([undefined, '', 'service.MusicService'].includes(probe.grpc.service));
      }
    }
  }
});

test("consumer probes run the project's consumer check", () => {
  for (const d of deployments) {
    for (const c of containersOf(d).filter((x) => roleOf(x).startsWith('consumer'))) {
      const ports = c.ports?.map((p) => p.name);
      assert.deepEqual(ports, ['metrics'], `${d.metadata.name} listens for metrics only`);
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        const [node, entry, kind] = probe?.exec?.command ?? [];
        assert.deepEqual([node, entry], ['node', 'src/apps/probe/main.ts'], d.metadata.name);
        assert.equal(kind, 'consumer');
        assert.ok(kind in CHECKS);
      }
    }
  }
});

test('each Service selects one workload and targets a port it declares', () => {
  for (const s of services) {
    const selected = [...deployments, ...statefulSets].filter((w) =>
      Object.entries(s.spec.selector).every(
        ([key, v]) => w.spec.template.metadata.labels[key] === v,
      ),
    );
    assert.equal(selected.length, 1, `Service ${s.metadata.name} selects one workload`);
    const [w] = selected;
    assert.ok(w);
    for (const p of s.spec.ports) {
      const target = p.targetPort ?? p.port;
      const found = containersOf(w).some((c) => portOf(c, target) !== undefined);
      assert.ok(found, `Service ${s.metadata.name}: ${target} is a port of ${w.metadata.name}`);
    }
  }
  const exposed = services.flatMap((s) =>
    [...deployments].filter((d) =>
      Object.entries(s.spec.selector).every(
        ([key, v]) => d.spec.template.metadata.labels[key] === v,
      ),
    ),
  );
  const roles = exposed.flatMap((d) => containersOf(d).map(roleOf)).sort();
  assert.deepEqual(roles, ['grpc', 'rest'], 'the two APIs have Services');
});

test('PostgreSQL: a StatefulSet with its own volume, a Service, and init scripts that are exactly db/migrations', async () => {
  const [pg, ...others] = statefulSets;
  assert.ok(pg && others.length === 0, 'one StatefulSet');
  const [c] = containersOf(pg);
  assert.ok(c);
  assert.ok(c.readinessProbe && c.livenessProbe, 'probes');
  assert.ok(c.resources?.requests && c.resources.limits, 'requests and limits');
  const claim = pg.spec.volumeClaimTemplates?.[0]?.metadata.name;
  assert.ok(claim, 'a volumeClaimTemplate');
  const major = Number(c.image.split(':')[1]?.split(/[.-]/)[0]);
  const dataPath = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  assert.equal(c.volumeMounts?.find((m) => m.name === claim)?.mountPath, dataPath);
  assert.ok(
    services.some((s) => s.metadata.name === pg.spec.serviceName),
    'its governing Service exists',
  );

  const initMount = c.volumeMounts?.find((m) => m.mountPath === '/docker-entrypoint-initdb.d');
  assert.ok(initMount, 'init scripts are mounted');
  const volume = pg.spec.template.spec.volumes?.find((v) => v.name === initMount.name);
  assert.ok(volume?.configMap, 'from a ConfigMap');
  const init = generated(volume.configMap.name);
  const migrations = await readMigrations();
  const roles = readFileSync(join(MIGRATIONS_DIR, ROLES_SCRIPT), 'utf8');
  assert.deepEqual(
    Object.keys(init.data),
    [ROLES_SCRIPT, ...migrations.map((m) => m.name)],
    'the generator lists the roles script, then every db/migrations/*.sql, in order',
  );
  assert.deepEqual(
    init.data,
    Object.fromEntries([[ROLES_SCRIPT, roles], ...migrations.map((m) => [m.name, m.sql])]),
    'the ConfigMap holds the files as they are',
  );
});

test('DATABASE_URL reaches the PostgreSQL Service as the runtime role of each service, with the password the role was created with', () => {
  const [pg] = statefulSets;
  assert.ok(pg);
  const [c] = containersOf(pg);
  assert.ok(c);
  const pgEnv = envFromOf(c);
  const service = services.find((s) => s.metadata.name === pg.spec.serviceName);
  assert.ok(service);
  // The roles 000_roles.sh makes, from these variables of the PostgreSQL container.
  const created: Record<string, string | undefined> = {
    [DATABASE_ROLES.writer]: pgEnv.MUSIC_DB_WRITER_PASSWORD,
    [DATABASE_ROLES.reader]: pgEnv.MUSIC_DB_READER_PASSWORD,
  };
  for (const d of deployments) {
    for (const app of containersOf(d)) {
      const url = new URL(loadConfig(envFromOf(app)).DATABASE_URL);
      const role = roleOf(app) === 'grpc' ? DATABASE_ROLES.reader : DATABASE_ROLES.writer;
      assert.equal(url.hostname, service.metadata.name, d.metadata.name);
      assert.ok(
        service.spec.ports.some((p) => p.port === Number(url.port || 5432)),
        'the Service port',
      );
      assert.equal(url.username, role, `${d.metadata.name} runs as ${role}`);
      assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`, 'database');
      assert.ok(created[role]?.startsWith('secret.'), `${role}'s password is a Secret's`);
      assert.equal(decodeURIComponent(url.password), created[role], 'password');
    }
  }
  assert.ok(pgEnv.POSTGRES_PASSWORD?.startsWith('secret.'), "the owner's password is a Secret's");
});

test('no password is committed: no Secret is generated, every password is a Secret key', () => {
  assert.deepEqual(
    ofKind(objects, 'Secret'),
    [],
    "music-db-passwords is made by hand, the KafkaUsers' Secrets by the User Operator",
  );
  for (const w of [...deployments, ...statefulSets]) {
    for (const c of containersOf(w)) {
      for (const e of c.env ?? []) {
        if (/PASSWORD/.test(e.name))
          assert.ok(e.valueFrom?.secretKeyRef, `${e.name} from a Secret`);
        else
          assert.doesNotMatch(
            e.value ?? '',
            /:\/\/[^:/]+:[^$@]+@/,
            `${e.name}: no literal password`,
          );
      }
    }
  }
});

test('Kafka: a KRaft cluster of dual-role nodes with topic management, reached as KAFKA_BROKERS says', () => {
  const [kafka, ...more] = ofKind<Kafka>(objects, 'Kafka');
  assert.ok(kafka && more.length === 0, 'one Kafka');
  assert.match(kafka.apiVersion, /^kafka\.strimzi\.io\//);
  assert.ok(kafka.spec.entityOperator?.topicOperator, 'the topic operator manages KafkaTopics');
  const pools = ofKind<KafkaNodePool>(objects, 'KafkaNodePool');
  assert.ok(pools.length > 0, 'a KafkaNodePool');
  for (const p of pools) {
    assert.equal(p.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name);
    assert.equal(p.spec.storage.volumes?.[0]?.type ?? p.spec.storage.type, 'persistent-claim');
  }
  const roles = new Set(pools.flatMap((p) => p.spec.roles));
  assert.ok(roles.has('controller') && roles.has('broker'), 'controllers and brokers (KRaft)');
  const { listeners } = kafka.spec.kafka;
  const bootstrap = `${kafka.metadata.name}-kafka-bootstrap`;
  for (const d of deployments) {
    for (const c of containersOf(d)) {
      for (const broker of loadConfig(envFromOf(c)).KAFKA_BROKERS) {
        const [host, port] = broker.split(':');
        assert.equal(host, bootstrap, 'the bootstrap Service Strimzi creates');
        const listener = listeners.find((l) => l.port === Number(port));
        assert.ok(listener, `${port} is a listener`);
        assert.equal(listener.tls, false, 'the services speak plaintext');
      }
    }
  }
});

test('KafkaTopics are the configured topics, with enough partitions for every consumer', () => {
  const [kafka] = ofKind<Kafka>(objects, 'Kafka');
  const brokers = ofKind<KafkaNodePool>(objects, 'KafkaNodePool')
    .filter((p) => p.spec.roles.includes('broker'))
    .reduce((n, p) => n + p.spec.replicas, 0);
  const topics = ofKind<KafkaTopic>(objects, 'KafkaTopic');
  const [anyApp] = deployments.flatMap(containersOf);
  assert.ok(anyApp && kafka);
  const config = loadConfig(envFromOf(anyApp));
  const named = (t: KafkaTopic) => t.spec.topicName ?? t.metadata.name;
  assert.deepEqual(topics.map(named).sort(), [config.KAFKA_TOPIC, config.KAFKA_DLQ_TOPIC].sort());
  for (const t of topics) {
    assert.equal(t.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name, named(t));
    assert.ok(t.spec.replicas >= 1 && t.spec.replicas <= brokers, `${named(t)}: replicas`);
    const isr = Number(t.spec.config?.['min.insync.replicas'] ?? 1);
    assert.ok(isr <= t.spec.replicas, `${named(t)}: min.insync.replicas ≤ replicas`);
  }
  const albums = topics.find((t) => named(t) === config.KAFKA_TOPIC);
  assert.equal(albums?.spec.partitions, config.KAFKA_PARTITIONS);
  const members = deployments
    .filter((d) => containersOf(d).some((c) => roleOf(c).startsWith('consumer')))
    .reduce((n, d) => n + (d.spec.replicas ?? 1), 0);
  assert.ok(members <= (albums?.spec.partitions ?? 0), 'no consumer would sit idle');
});

test('Kafka: the listener takes only SCRAM-SHA-512 logins, ACLs decide, the User Operator keeps the users', () => {
  const [kafka] = ofKind<Kafka>(objects, 'Kafka');
  assert.ok(kafka);
  for (const l of kafka.spec.kafka.listeners)
    assert.equal(l.authentication?.type, 'scram-sha-512', `listener ${l.name} authenticates`);
  assert.equal(kafka.spec.kafka.authorization?.type, 'simple', 'deny by default, ACLs allow');
  assert.ok(kafka.spec.entityOperator?.userOperator, 'the User Operator makes the KafkaUsers');
  for (const u of ofKind<KafkaUser>(objects, 'KafkaUser')) {
    assert.equal(u.metadata.labels?.['strimzi.io/cluster'], kafka.metadata.name, u.metadata.name);
    assert.equal(u.spec.authentication?.type, 'scram-sha-512', u.metadata.name);
    assert.equal(u.spec.authorization?.type, 'simple', u.metadata.name);
  }
});

test("each Kafka-using Deployment logs in as its own KafkaUser, the password from that user's Secret", () => {
  const users = ofKind<KafkaUser>(objects, 'KafkaUser').map((u) => u.metadata.name);
  for (const d of deployments) {
    for (const c of containersOf(d)) {
      const env = envFromOf(c);
      const role = kafkaRoleOf(roleOf(c));
      if (role === null) {
        // The gRPC API reads PostgreSQL only.
        for (const key of Object.keys(env))
          assert.doesNotMatch(key, /^KAFKA_SASL_/, `${d.metadata.name} has no Kafka login`);
        continue;
      }
      const config = loadConfig(env);
      const username = KAFKA_USERNAMES[role];
      assert.equal(config.KAFKA_SASL_MECHANISM, 'SCRAM-SHA-512', d.metadata.name);
      assert.equal(config.KAFKA_SASL_USERNAME, username, `${d.metadata.name} logs in as ${role}`);
      assert.ok(users.includes(username), `a KafkaUser ${username}`);
      // The User Operator's Secret is named after the user; the password is its key `password`.
      assert.equal(config.KAFKA_SASL_PASSWORD, secretRef({ name: username, key: 'password' }));
      assert.equal(config.KAFKA_CREATE_TOPICS, false, `${d.metadata.name}: topics are KafkaTopics`);
    }
  }
});

test("the KafkaUsers' ACLs are the local broker's (serviceAcls of infra/kafka-auth.ts), no more", () => {
  const [anyApp] = deployments.flatMap(containersOf);
  assert.ok(anyApp);
  const names = aclNamesOf(loadConfig(envFromOf(anyApp)));
  const users = ofKind<KafkaUser>(objects, 'KafkaUser');
  assert.deepEqual(
    users.map((u) => u.metadata.name).sort(),
    KAFKA_ROLES.filter((r) => r !== 'admin')
      .map((r) => KAFKA_USERNAMES[r])
      .sort(),
    'a KafkaUser per service principal',
  );
  assert.deepEqual(aclLines(users.flatMap(strimziAcls)), aclLines(serviceAcls(names)));
});
