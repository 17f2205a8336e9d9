import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { databaseHosts, withHosts } from './database-url.ts';
import {
  type DatabaseRole,
  type LocalPasswords,
  localDatabaseUrl,
  localDataDir,
  readLocalPasswords,
  withLocalStandby,
} from './local-database.ts';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const PostgresUrl = Type.String({ pattern: '^postgres(ql)?://' });

/** Every setting of every process, read from the environment; the defaults suit a laptop. */
const ConfigSchema = Type.Object({
  // Unset: the local roles with their generated passwords (src/shared/local-database.ts).
  DATABASE_URL: Type.Optional(PostgresUrl),
  // Each of these defaults to DATABASE_URL: one URL is enough where one role does everything.
  DATABASE_MIGRATE_URL: Type.Optional(PostgresUrl),
  DATABASE_WRITE_URL: Type.Optional(PostgresUrl),
  DATABASE_READ_URL: Type.Optional(PostgresUrl),
  // Reads go to DATABASE_READ_URL's standby while it replays the primary's changes within this
  // bound, else to the primary (docs/reliability.md); used where that URL names other servers.
  DATABASE_READ_MAX_LAG_MS: Type.Integer({ minimum: 0, maximum: 3600000, default: 5000 }),
  // Without DATABASE_URL: the local stack has a streaming standby on PG_STANDBY_PORT, so the
  // local URLs name both servers (writers find the one that takes writes, readers the standby).
  PG_STANDBY: Type.Boolean({ default: false }),
  PG_STANDBY_PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 5433 }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  // The REST API's and the consumers' longest SQL statement; the gRPC API has call deadlines.
  DB_STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 0, maximum: 3600000, default: 30000 }),
  KAFKA_BROKERS: Type.String({
    pattern: '^[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*$',
    default: '127.0.0.1:9092',
  }),
  KAFKA_TOPIC: Type.String({ minLength: 1, default: 'music.albums' }),
  KAFKA_DLQ_TOPIC: Type.String({ minLength: 1, default: 'music.albums.dlq' }),
  KAFKA_GROUP_ID: Type.String({ minLength: 1, default: 'music-albums' }),
  KAFKA_PARTITIONS: Type.Integer({ minimum: 1, maximum: 1000, default: 6 }),
  KAFKA_CLIENT_ID: Type.String({ minLength: 1, default: 'music-service' }),
  // Off where the topics are provisioned apart and a service's principal may not create them
  // (npm start's broker with ACLs, Strimzi's KafkaTopic resources).
  KAFKA_CREATE_TOPICS: Type.Boolean({ default: true }),
  // Unset: no authentication. With a mechanism, the username and password are required.
  KAFKA_SASL_MECHANISM: Type.Optional(
    Type.Union(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'].map((m) => Type.Literal(m))),
  ),
  KAFKA_SASL_USERNAME: Type.Optional(Type.String({ minLength: 1 })),
  KAFKA_SASL_PASSWORD: Type.Optional(Type.String({ minLength: 1 })),
  // TLS to the brokers, verified against Node's CAs plus KAFKA_SSL_CA_FILE when set.
  KAFKA_SSL: Type.Boolean({ default: false }),
  KAFKA_SSL_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  CONSUMER_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 10000, default: 1000 }),
  // Short: the broker already holds fetches to gather records (see FETCH in the Kafka adapters),
  // and a fetch's records arrive together; waiting longer only delays them on the way to the table.
  CONSUMER_BATCH_WAIT_MS: Type.Integer({ minimum: 0, maximum: 60000, default: 1 }),
  // How long the broker holds a fetch until 256 KiB gather (FETCH in the Kafka adapters): less is
  // a shorter way to the table for more fetches and smaller upserts at moderate rates.
  CONSUMER_FETCH_WAIT_MS: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  // Kafka's default is 45 s; a crashed consumer's partitions should move on sooner than that.
  KAFKA_SESSION_TIMEOUT_MS: Type.Integer({ minimum: 6000, maximum: 300000, default: 10000 }),
  // A consumer's static group membership: unique per consumer process, the same across its
  // restarts (npm start: per service; Kubernetes: the pod's name). Unset: a dynamic member.
  KAFKA_GROUP_INSTANCE_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._-]{1,249}$' })),
  // npm start and npm test: the local Kafka's nodes; 3 runs a replicated cluster (replication
  // factor 3, min.insync.replicas 2) on KAFKA_BROKERS' three ports.
  KAFKA_NODES: Type.Integer({ minimum: 1, maximum: 3, default: 1 }),
  // /readyz and music_consumer_stalled_partitions report a partition whose committed offset
  // has not moved this long while records arrive.
  CONSUMER_STALL_AFTER_MS: Type.Integer({ minimum: 1000, maximum: 3600000, default: 60000 }),
  REST_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  REST_PORT: Port,
  GRPC_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  GRPC_PORT: Port,
  // Prometheus metrics on a port of their own, loopback unless a deployment opens it (0.0.0.0 in
  // the containers, for an in-cluster Prometheus); port 0 takes any free one. Unset, each
  // process has its own (METRICS_PORTS), so that all of them run side by side on one machine.
  METRICS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
  // Set: a scrape must send `Authorization: Bearer <token>`.
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  MUSIC_DATA_DIR: Type.String({ minLength: 1, default: '.data' }),
  PRODUCE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120000, default: 10000 }),
  // The least time between the starts of two produce rounds (Kafka transactions) of the REST
  // API: a publish after a quiet spell leaves at once, a steady trickle in fewer, larger rounds.
  PRODUCE_ROUND_SPACING_MS: Type.Integer({ minimum: 0, maximum: 1000, default: 5 }),
  // Far above what a person's browsing needs (the UI reloads a page at most once a second
  // while albums are being stored); 0 turns the limit off, as for the benchmark.
  RATE_LIMIT_MAX: Type.Integer({ minimum: 0, default: 1000 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 86400000, default: 60000 }),
  // A person's own load test or CLI run against a local stack comes from loopback; set false
  // where a proxy on the same host (a service-mesh sidecar) forwards the public traffic.
  RATE_LIMIT_EXEMPT_LOOPBACK: Type.Boolean({ default: true }),
  // Origins whose pages may call the API from a browser; none by default (same origin only).
  CORS_ORIGINS: Type.String({
    pattern: '^(https?://[^,\\s/]+(,https?://[^,\\s/]+)*)?$',
    default: '',
  }),
  // Tracing (src/shared/tracing.ts), by the OpenTelemetry SDK's standard variables: off unless
  // an OTLP endpoint is set; the exporter reads its other OTEL_EXPORTER_OTLP_* itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://' })),
  // Unset: music-<process>, e.g. music-rest.
  OTEL_SERVICE_NAME: Type.Optional(Type.String({ minLength: 1 })),
  OTEL_TRACES_SAMPLER: Type.Union(
    [
      'always_on',
      'always_off',
      'traceidratio',
      'parentbased_always_on',
      'parentbased_always_off',
      'parentbased_traceidratio',
    ].map((s) => Type.Literal(s)),
    { default: 'parentbased_always_on' },
  ),
  // The ratio of the *traceidratio samplers.
  OTEL_TRACES_SAMPLER_ARG: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
});

type Env = Static<typeof ConfigSchema>;

/** The name of every variable the processes read; deployment files may set no others for them. */
export const CONFIG_KEYS = Object.keys(ConfigSchema.properties) as readonly (keyof Env)[];

/** The settings that name a database URL, each with a password to keep out of logs. */
export const DATABASE_URL_KEYS = [
  'DATABASE_URL',
  'DATABASE_MIGRATE_URL',
  'DATABASE_WRITE_URL',
  'DATABASE_READ_URL',
] as const;

/** The URLs of the database, one per kind of use, each resolved to a value. */
export type DatabaseUrls = Readonly<Record<(typeof DATABASE_URL_KEYS)[number], string>>;

/** The validated configuration, with lists already split and every database URL resolved. */
export interface Config
  extends Omit<Env, 'KAFKA_BROKERS' | 'CORS_ORIGINS' | keyof DatabaseUrls>,
    DatabaseUrls {
  readonly KAFKA_BROKERS: readonly string[];
  readonly CORS_ORIGINS: readonly string[];
}

const DEFAULTS = { REST_PORT: 3000, GRPC_PORT: 50051 } as const;

/**
 * Each process's metrics port when METRICS_PORT is unset: consecutive, in the order `npm start`
 * runs them, so that Prometheus finds every process of one machine at a known port.
 */
export const METRICS_PORTS = {
  rest: 9464,
  grpc: 9465,
  'consumer-platformatic': 9466,
  'consumer-confluent': 9467,
} as const;

/** A process that serves metrics, by the name its logs carry. */
export type MetricsProcess = keyof typeof METRICS_PORTS;

/** A setting that cannot be used; its message is the one line to print before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The database URLs: as set, each unset one falling back to DATABASE_URL. Without DATABASE_URL,
 * the local stack's: the owner for migrations and people's tools, the writer and the reader for
 * the services, with the passwords `npm start` generated (none yet before the first start).
 */
function databaseUrls(env: Env, local: LocalPasswords | undefined): DatabaseUrls {
  const base = env.DATABASE_URL ?? localDatabaseUrl('owner', local?.owner);
  // The runtime roles only once their passwords exist; until then everything is the owner's URL.
  const roleUrl = (role: DatabaseRole) =>
    env.DATABASE_URL === undefined && local ? localDatabaseUrl(role, local[role]) : base;
  const standby = env.DATABASE_URL === undefined && env.PG_STANDBY ? env.PG_STANDBY_PORT : null;
  const paired = (url: string, use: 'write' | 'read') =>
    standby === null ? url : withLocalStandby(url, standby, use);
  return {
    DATABASE_URL: base,
    DATABASE_MIGRATE_URL: env.DATABASE_MIGRATE_URL ?? paired(base, 'write'),
    DATABASE_WRITE_URL: env.DATABASE_WRITE_URL ?? paired(roleUrl('writer'), 'write'),
    DATABASE_READ_URL: env.DATABASE_READ_URL ?? paired(roleUrl('reader'), 'read'),
  };
}

/**
 * Reads and checks the configuration. Unknown variables are ignored; a present but invalid one
 * throws a ConfigError naming the variable, what it must be and what it was. Without
 * DATABASE_URL the local passwords are read from the data dir (`localPasswords`, which tests
 * replace so that no file of the checkout leaks in).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  localPasswords: (dataDir: string) => LocalPasswords | undefined = readLocalPasswords,
  /** The process whose own defaults apply (its metrics port); the REST API's when absent. */
  processName?: string,
): Config {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const metricsPort =
    processName !== undefined && Object.hasOwn(METRICS_PORTS, processName)
      ? { METRICS_PORT: METRICS_PORTS[processName as MetricsProcess] }
      : {};
  const withDefaults = Value.Default(ConfigSchema, { ...DEFAULTS, ...metricsPort, ...raw });
  const converted = Value.Convert(ConfigSchema, withDefaults);
  const [first] = Value.Errors(ConfigSchema, converted);
  if (first) {
    const key = first.path.replace(/^\//, '');
    throw new ConfigError(
      `Invalid configuration: ${key} ${first.message.toLowerCase()} (got ${JSON.stringify(raw[key] ?? null)})`,
    );
  }
  const env2 = converted as Env;
  const local =
    env2.DATABASE_URL === undefined ? localPasswords(localDataDir(env2.MUSIC_DATA_DIR)) : undefined;
  if (env2.KAFKA_NODES === 2)
    throw new ConfigError(
      'Invalid configuration: KAFKA_NODES must be 1 or 3 (two controllers make no majority that survives one of them)',
    );
  if (env2.KAFKA_SASL_MECHANISM !== undefined) {
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const)
      if (env2[key] === undefined)
        throw new ConfigError(
          `Invalid configuration: ${key} is required with KAFKA_SASL_MECHANISM=${env2.KAFKA_SASL_MECHANISM}`,
        );
  }
  return {
    ...env2,
    ...databaseUrls(env2, local),
    // A local cluster's nodes listen two ports apart (each node's controller on port + 1).
    KAFKA_BROKERS: (raw.KAFKA_BROKERS === undefined && env2.KAFKA_NODES === 3
      ? '127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096'
      : env2.KAFKA_BROKERS
    )
      .split(',')
      .map((b) => b.trim()),
    CORS_ORIGINS: env2.CORS_ORIGINS === '' ? [] : env2.CORS_ORIGINS.split(','),
  };
}

/** The URL with its password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/**
 * Values that must never reach a log line: the password of every database URL, as given and as
 * decoded, the Kafka password and the metrics token.
 */
export function secretsOf(
  config: Pick<Config, 'DATABASE_URL'> &
    Partial<DatabaseUrls> &
    Partial<Pick<Config, 'KAFKA_SASL_PASSWORD' | 'METRICS_TOKEN'>>,
): string[] {
  const secrets = DATABASE_URL_KEYS.flatMap((key) => passwordOf(config[key]));
  for (const secret of [config.KAFKA_SASL_PASSWORD, config.METRICS_TOKEN])
    if (secret !== undefined) secrets.push(secret);
  return [...new Set(secrets)];
}

function passwordOf(url: string | undefined): string[] {
  // A URL naming a primary and its standby (h1:5432,h2:5433) is read through its first server.
  const first = url === undefined ? undefined : withHosts(url, databaseHosts(url).slice(0, 1));
  const password = first !== undefined && URL.canParse(first) ? new URL(first).password : '';
  if (password === '') return [];
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    // Not percent-encoded after all: the password is as given.
    return [password];
  }
}
