// deploy/compose.yaml, read as Docker Compose reads it: every part the system needs, each
// pinned, healthy before what depends on it starts, and configured with what the code reads.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { KAFKA_USERNAMES, serviceAcls } from '../../infra/kafka-auth.ts';
import { readMigrations } from '../../src/adapters/db/migrate.ts';
import { CLIENTS } from '../../src/apps/consumer/main.ts';
import { CHECKS } from '../../src/apps/probe/checks.ts';
import { CONFIG_KEYS, loadConfig } from '../../src/shared/config.ts';
import { databaseHosts, firstServerUrl } from '../../src/shared/database-url.ts';
import { DATABASE_ROLES } from '../../src/shared/local-database.ts';
import {
  assertPinned,
  DEPLOY,
  imageTag,
  pkg,
  ROLES_SCRIPT,
  ROOT,
  readYaml,
  roleOfCommand,
} from './files.ts';
import { aclLines, aclNamesOf, kafkaAclsAdded, kafkaRoleOf, shellCommands } from './kafka-acls.ts';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  restart?: string;
}

const compose = readYaml<{ services: Record<string, ComposeService>; volumes?: object }>(
  join(DEPLOY, 'compose.yaml'),
);
const services = Object.entries(compose.services);
const envOf = (s: ComposeService): Record<string, string> =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** The services running an image of this name (tag aside). */
const running = (image: string) =>
  services.filter(([, s]) => s.image !== undefined && imageTag(s.image).name === image);

const apps = running('music-service');
const [kafkaName, kafka] = running('apache/kafka').find(([, s]) => !s.command) ?? [];
const [postgresName, postgres] = running('postgres')[0] ?? [];
const [topicsName, topics] = running('apache/kafka').find(([, s]) => s.command) ?? [];

const roleOf = (s: ComposeService): string => roleOfCommand(s.command ?? []);

test('every part of the system is a service: Kafka, its topics, PostgreSQL, both APIs and both consumers', () => {
  assert.ok(kafka, 'a Kafka broker (apache/kafka)');
  assert.ok(topics, 'a one-shot topic creation (apache/kafka with a command)');
  assert.ok(postgres, 'PostgreSQL (postgres)');
  const roles = apps.map(([, s]) => roleOf(s)).sort();
  assert.deepEqual(roles, ['grpc', 'rest', ...CLIENTS.map((c) => `consumer ${c}`)].sort());
});

test('every image is pinned; ours is tagged with the package version and built from the Dockerfile', () => {
  for (const [name, s] of services) {
    assert.ok(s.image, `${name} names its image`);
    assertPinned(s.image, name);
  }
  for (const [name, s] of apps) {
    assert.equal(s.image, `music-service:${pkg.version}`, name);
    assert.ok(s.build, `${name} is built with --build`);
    const context = resolve(DEPLOY, s.build.context);
    assert.equal(context, ROOT, `${name} builds from the repository root`);
    assert.ok(existsSync(join(context, s.build.dockerfile ?? 'Dockerfile')), `${name}: Dockerfile`);
    const entry = s.command?.[1] ?? '';
    assert.ok(existsSync(join(ROOT, entry)), `${name} runs ${entry}, which exists`);
  }
});

test('Kafka is the version the project runs locally, in KRaft mode, reachable as KAFKA_BROKERS says', () => {
  assert.ok(kafka && kafkaName);
  const pom = readFileSync(join(ROOT, 'infra', 'kafka', 'pom.xml'), 'utf8');
  const local = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  assert.equal(imageTag(kafka.image ?? '').tag, local, 'same Kafka as infra/kafka/pom.xml');
  assert.match(local ?? '', /^4\./);
  const env = envOf(kafka);
  assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
  assert.match(env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '', new RegExp(`^1@${kafkaName}:\\d+$`));
  // Kafka accepts only a base64url UUID: 16 bytes.
  assert.equal(Buffer.from(env.CLUSTER_ID ?? '', 'base64url').length, 16, 'CLUSTER_ID');
  assert.equal(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'false');
  const advertised = (env.KAFKA_ADVERTISED_LISTENERS ?? '').split(',');
  const listeners = (env.KAFKA_LISTENERS ?? '').split(',').map((l) => l.split('://')[0]);
  for (const [name, s] of apps) {
    for (const broker of loadConfig(envOf(s)).KAFKA_BROKERS) {
      const listener = advertised.find((a) => a.endsWith(`://${broker}`));
      assert.ok(listener, `${name}: ${broker} is an advertised listener of ${kafkaName}`);
      assert.ok(listeners.includes(listener.split('://')[0]), `${listener} is a listener`);
      assert.equal(broker.split(':')[0], kafkaName, `${name} reaches the broker by service name`);
    }
  }
});

test('the topic job creates KAFKA_TOPIC and KAFKA_DLQ_TOPIC with KAFKA_PARTITIONS partitions', () => {
  assert.ok(topics && topicsName);
  assert.equal(topics.restart, 'no', 'it runs once');
  assert.equal(topics.depends_on?.[kafkaName ?? '']?.condition, 'service_healthy');
  const script = (topics.command ?? []).join('\n');
  for (const v of ['KAFKA_TOPIC', 'KAFKA_DLQ_TOPIC', 'KAFKA_PARTITIONS', 'KAFKA_BROKERS'])
    assert.ok(script.includes(`$$${v}`), `the script reads ${v} from its environment`);
  assert.match(script, /--create\b/);
  assert.match(script, /--if-not-exists\b/, 'running it again changes nothing');
  for (const [name, s] of apps) {
    for (const key of ['KAFKA_TOPIC', 'KAFKA_DLQ_TOPIC', 'KAFKA_PARTITIONS', 'KAFKA_BROKERS']) {
      assert.equal(envOf(topics)[key], envOf(s)[key], `${name} and ${topicsName} agree on ${key}`);
    }
  }
  assert.equal(envOf(topics).KAFKA_PARTITIONS, '6', 'six partitions, the consumers scale to that');
});

test('PostgreSQL is initialised by exactly the db/migrations files: the roles script, then SQL', async () => {
  assert.ok(postgres);
  const mounts = (postgres.volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
  const init = mounts.filter((m) => m.target.startsWith('/docker-entrypoint-initdb.d'));
  const migrations = [ROLES_SCRIPT, ...(await readMigrations()).map((m) => m.name)];
  assert.ok(migrations.length > 1);
  const sources = init.map((m) => resolve(DEPLOY, m.source));
  const dir = join(ROOT, 'db', 'migrations');
  if (init.length === 1 && init[0]?.target === '/docker-entrypoint-initdb.d') {
    assert.equal(sources[0], dir, 'the directory mounted is db/migrations');
    assert.ok(statSync(dir).isDirectory());
    // The entrypoint would also run any other *.sh and *.sql.gz: only the roles script (which
    // `npm start` ignores) and the SQL the project applies belong.
    assert.deepEqual(
      readdirSync(dir).sort(),
      migrations,
      'db/migrations holds only 000_roles.sh and *.sql',
    );
  } else {
    assert.deepEqual(
      init.map((m) => m.target.slice('/docker-entrypoint-initdb.d/'.length)).sort(),
      migrations,
    );
    assert.deepEqual(
      sources.sort(),
      migrations.map((m) => join(dir, m)),
    );
  }
  // PostgreSQL 18 images keep data under /var/lib/postgresql/<major>/docker and refuse to start
  // with a volume at the older /var/lib/postgresql/data.
  const major = Number(imageTag(postgres.image ?? '').tag?.split(/[.-]/)[0]);
  const dataTarget = major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
  const data = mounts.find((m) => m.target === dataTarget);
  assert.ok(data, `a volume at ${dataTarget}`);
  assert.ok(data.source in (compose.volumes ?? {}), `${data.source} is a named volume`);
});

test('every long-running service has a health check, and dependencies wait on health or completion', () => {
  for (const [name, s] of services) {
    if (s.restart === 'no') continue;
    assert.ok(s.healthcheck?.test?.length, `${name} has a health check`);
  }
  for (const [name, s] of services) {
    for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
      const target = compose.services[dep];
      assert.ok(target, `${name} depends on ${dep}, which exists`);
      if (target.restart === 'no') {
        assert.equal(condition, 'service_completed_successfully', `${name} → ${dep}`);
      } else {
        assert.equal(condition, 'service_healthy', `${name} → ${dep}`);
        assert.ok(target.healthcheck, `${dep} can become healthy`);
      }
    }
  }
  for (const [name, s] of apps) {
    assert.equal(s.depends_on?.[postgresName ?? '']?.condition, 'service_healthy', name);
    // Every service but the read-only gRPC API produces or consumes: topics must exist first.
    if (roleOf(s) !== 'grpc')
      assert.equal(
        s.depends_on?.[topicsName ?? '']?.condition,
        'service_completed_successfully',
        name,
      );
  }
});

test("our services' health checks run the project's probe for what they are", () => {
  for (const [name, s] of apps) {
    const [cmd, node, entry, kind] = s.healthcheck?.test ?? [];
    assert.equal(cmd, 'CMD', name);
    assert.equal(node, 'node', name);
    assert.equal(entry, 'src/apps/probe/main.ts', name);
    assert.ok(kind && kind in CHECKS, `${name}: probe ${kind} exists`);
    assert.equal(kind, roleOf(s).split(' ')[0], `${name} checks itself`);
  }
});

test('our services read only variables the config loader knows, with values it accepts', () => {
  for (const [name, s] of apps) {
    const env = envOf(s);
    for (const key of Object.keys(env))
      assert.ok((CONFIG_KEYS as readonly string[]).includes(key), `${name}: ${key} is unknown`);
    assert.doesNotThrow(() => loadConfig(env), `${name}: the configuration loads`);
  }
});

/** The variable a `${NAME}` or `${NAME:?message}` interpolation reads, or undefined. */
const interpolated = (value: string | undefined) =>
  /^\$\{(\w+)(:\?[^}]*)?\}$/.exec(value ?? '')?.[1];

test('DATABASE_URL points at the PostgreSQL service as the runtime role of each service, with the password the role was created with', () => {
  assert.ok(postgres && postgresName);
  const pg = envOf(postgres);
  // The roles db/migrations/000_roles.sh makes, from these variables of the PostgreSQL service.
  const created: Record<string, string | undefined> = {
    [DATABASE_ROLES.writer]: interpolated(pg.MUSIC_DB_WRITER_PASSWORD),
    [DATABASE_ROLES.reader]: interpolated(pg.MUSIC_DB_READER_PASSWORD),
  };
  for (const [name, s] of apps) {
    // Writers name the standby (profile ha) second: after its promotion they reach it.
    const full = loadConfig(envOf(s)).DATABASE_URL;
    const url = firstServerUrl(full);
    if (roleOf(s) !== 'grpc') {
      assert.deepEqual(databaseHosts(full), [`${postgresName}:5432`, 'postgres-standby:5432']);
      assert.equal(url.searchParams.get('target_session_attrs'), 'read-write', name);
    }
    const role = roleOf(s) === 'grpc' ? DATABASE_ROLES.reader : DATABASE_ROLES.writer;
    assert.equal(url.hostname, postgresName, name);
    assert.equal(url.port || '5432', '5432', name);
    assert.equal(url.username, role, `${name} runs as ${role}`);
    assert.ok(created[role], `${role}'s password comes from the environment`);
    assert.equal(interpolated(decodeURIComponent(url.password)), created[role], name);
    assert.equal(url.pathname, `/${pg.POSTGRES_DB}`, name);
  }
});

test('no password is committed: each is required from the environment', () => {
  assert.ok(postgres);
  const pg = envOf(postgres);
  for (const key of ['POSTGRES_PASSWORD', 'MUSIC_DB_WRITER_PASSWORD', 'MUSIC_DB_READER_PASSWORD'])
    assert.match(pg[key] ?? '', /^\$\{\w+:\?.+\}$/, `${key}: \${NAME:?…}, required`);
  for (const [name, s] of services) {
    for (const [key, value] of Object.entries(envOf(s))) {
      if (/PASSWORD$/.test(key))
        assert.match(value, /^\$\{\w+:\?.+\}$/, `${name}: ${key} is \${NAME:?…}, required`);
      assert.doesNotMatch(
        value,
        /:\/\/[^:/]+:[^$@]+@/,
        `${name}: ${key} holds no literal password`,
      );
      // JAAS configurations and client settings: password="${NAME}", user_admin="${NAME}".
      for (const [, setting, password] of value.matchAll(/\b(password|user_\w+)="([^"]*)"/g))
        assert.match(password ?? '', /^\$\{\w+\}$/, `${name}: ${key}: ${setting} is interpolated`);
    }
    // Scripts pass them on from their environment: --add-config 'SCRAM-…=[password=$$NAME]'.
    const script = [...(s.command ?? []), ...(s.healthcheck?.test ?? [])].join('\n');
    for (const [, password] of script.matchAll(/\bpassword=([^\]\s"';]*)/g))
      assert.match(password ?? '', /^\$\$\{?\w+\}?$/, `${name}: a password from the environment`);
  }
});

/** The process a service runs, by the name whose defaults it takes (its metrics port). */
const processOf = (s: ComposeService): string => roleOf(s).replace(' ', '-');

test('metrics listen on the container, published on the host loopback only', () => {
  assert.equal(apps.length, 4);
  for (const [name, s] of apps) {
    const config = loadConfig(envOf(s), undefined, processOf(s));
    assert.equal(config.METRICS_HOST, '0.0.0.0', `${name}: reachable from the host's side`);
    const mapping = (s.ports ?? []).find((p) => p.endsWith(`:${config.METRICS_PORT}`));
    assert.equal(mapping, `127.0.0.1:${config.METRICS_PORT}:${config.METRICS_PORT}`, name);
  }
});

test('each service publishes the ports it listens on, on the host loopback', () => {
  for (const [name, s] of apps) {
    const config = loadConfig(envOf(s), undefined, processOf(s));
    const role = roleOf(s);
    const published = (s.ports ?? []).map((p) => Number(p.split(':').at(-1)));
    if (role === 'rest')
      assert.deepEqual(published, [config.REST_PORT, config.METRICS_PORT], `${name}: API, metrics`);
    else if (role === 'grpc')
      assert.deepEqual(published, [config.GRPC_PORT, config.METRICS_PORT], `${name}: API, metrics`);
    else assert.deepEqual(published, [config.METRICS_PORT], `${name} listens for metrics only`);
  }
});

/** The broker's SASL settings for one listener, as the apache/kafka image maps them from env. */
const listenerSetting = (env: Record<string, string>, listener: string, setting: string) =>
  env[`KAFKA_LISTENER_NAME_${listener}_${setting}`];

test('Kafka: every listener takes only logins, the services and the host SCRAM-SHA-512, ACLs decide', () => {
  assert.ok(kafka);
  const env = envOf(kafka);
  const protocols = Object.fromEntries(
    (env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((p) => p.split(':')),
  );
  const listeners = (env.KAFKA_LISTENERS ?? '').split(',').map((l) => l.split('://')[0] ?? '');
  for (const l of listeners) {
    assert.match(protocols[l] ?? '', /^SASL_/, `listener ${l} authenticates`);
    const mechanisms = (listenerSetting(env, l, 'SASL_ENABLED_MECHANISMS') ?? '').split(',');
    assert.ok(mechanisms.length > 0 && mechanisms[0] !== '', `${l}: its mechanisms`);
    for (const m of mechanisms) {
      const jaas = listenerSetting(env, l, `${m.replaceAll('-', '___')}_SASL_JAAS_CONFIG`);
      assert.ok(jaas, `${l}: ${m} has its JAAS configuration`);
      // PLAIN checks passwords of its JAAS configuration: it may know the admin only.
      const users = [...jaas.matchAll(/\buser_(\w+)=/g)].map((u) => u[1]);
      assert.ok(
        users.every((u) => u === KAFKA_USERNAMES.admin),
        `${l}: ${m} knows no service`,
      );
    }
  }
  const host = /^(\w+):\/\/localhost:/.exec(
    (env.KAFKA_ADVERTISED_LISTENERS ?? '').split(',').find((a) => a.includes('localhost')) ?? '',
  )?.[1];
  assert.ok(host, 'a listener for the host');
  assert.deepEqual(listenerSetting(env, host, 'SASL_ENABLED_MECHANISMS'), 'SCRAM-SHA-512');
  assert.equal(
    env.KAFKA_AUTHORIZER_CLASS_NAME,
    'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  );
  assert.equal(env.KAFKA_SUPER_USERS, `User:${KAFKA_USERNAMES.admin}`);
  assert.notEqual(env.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND, 'true');
  // Each app's listener takes its mechanism.
  for (const [name, s] of apps) {
    const config = loadConfig(envOf(s));
    if (config.KAFKA_SASL_MECHANISM === undefined) continue;
    const advertised = (env.KAFKA_ADVERTISED_LISTENERS ?? '').split(',');
    for (const broker of config.KAFKA_BROKERS) {
      const l = advertised.find((a) => a.endsWith(`://${broker}`))?.split('://')[0] ?? '';
      const mechanisms = listenerSetting(env, l, 'SASL_ENABLED_MECHANISMS')?.split(',');
      assert.ok(mechanisms?.includes(config.KAFKA_SASL_MECHANISM), `${name}: ${l} takes it`);
    }
  }
});

/** The shell commands of the topic job, `$$NAME` expanded from its environment. */
const topicJobCommands = () => {
  assert.ok(topics);
  return shellCommands((topics.command ?? []).join('\n'), envOf(topics));
};

test('each Kafka-using service logs in as its own principal, which the topic job creates with the same password', () => {
  // kafka-configs.sh --entity-type users --entity-name NAME --add-config MECHANISM=[password=P]
  const logins = new Map<string, { mechanism: string; password: string }>();
  for (const [tool, ...args] of topicJobCommands()) {
    if (!tool?.endsWith('/kafka-configs.sh')) continue;
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    if (arg('--entity-type') !== 'users') continue;
    const scram = /^(SCRAM-SHA-\d+)=\[password=(.+)\]$/.exec(arg('--add-config') ?? '');
    assert.ok(scram?.[1] && scram[2], `${args.join(' ')}: a SCRAM credential`);
    logins.set(arg('--entity-name') ?? '', { mechanism: scram[1], password: scram[2] });
  }
  assert.ok(logins.has(KAFKA_USERNAMES.admin), "the admin's SCRAM login, for the host listener");
  for (const [name, s] of apps) {
    const env = envOf(s);
    const role = kafkaRoleOf(roleOf(s));
    if (role === null) {
      for (const key of Object.keys(env))
        assert.doesNotMatch(key, /^KAFKA_SASL_/, `${name} has no Kafka login`);
      continue;
    }
    const config = loadConfig(env);
    const username = KAFKA_USERNAMES[role];
    assert.equal(config.KAFKA_SASL_MECHANISM, 'SCRAM-SHA-512', name);
    assert.equal(config.KAFKA_SASL_USERNAME, username, `${name} logs in as ${role}`);
    assert.equal(config.KAFKA_CREATE_TOPICS, false, `${name}: the topic job makes the topics`);
    const created = logins.get(username);
    assert.ok(created, `the topic job creates ${username}`);
    assert.equal(created.mechanism, config.KAFKA_SASL_MECHANISM, username);
    const variable = interpolated(env.KAFKA_SASL_PASSWORD);
    assert.ok(variable, `${name}: the password comes from the environment`);
    assert.equal(interpolated(created.password), variable, `${username}: the same password`);
  }
});

test("the topic job's ACLs are the local broker's (serviceAcls of infra/kafka-auth.ts), no more", () => {
  const [, anyApp] = apps.find(([, s]) => kafkaRoleOf(roleOf(s)) !== null) ?? [];
  assert.ok(anyApp);
  const names = aclNamesOf(loadConfig(envOf(anyApp)));
  assert.deepEqual(aclLines(kafkaAclsAdded(topicJobCommands())), aclLines(serviceAcls(names)));
});
