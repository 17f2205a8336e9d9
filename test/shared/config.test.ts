import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, METRICS_PORTS, redactUrl } from '../../src/shared/config.ts';

/** No local passwords: the checkout's own .data must not leak into these tests. */
const NONE = () => undefined;
const LOCAL = { owner: 'owner-pw', writer: 'writer-pw', reader: 'reader/pw' };

test('an empty environment gives the documented defaults', () => {
  const config = loadConfig({}, NONE);
  // Before the first start generated passwords: the owner, without one, for everything.
  assert.equal(config.DATABASE_URL, 'postgres://music@127.0.0.1:5432/music');
  assert.equal(config.DATABASE_MIGRATE_URL, config.DATABASE_URL);
  assert.equal(config.DATABASE_WRITE_URL, config.DATABASE_URL);
  assert.equal(config.DATABASE_READ_URL, config.DATABASE_URL);
  assert.deepEqual(config.KAFKA_BROKERS, ['127.0.0.1:9092']);
  assert.equal(config.KAFKA_TOPIC, 'music.albums');
  assert.equal(config.KAFKA_DLQ_TOPIC, 'music.albums.dlq');
  assert.equal(config.KAFKA_GROUP_ID, 'music-albums');
  assert.equal(config.REST_PORT, 3000);
  assert.equal(config.GRPC_PORT, 50051);
  assert.equal(config.RATE_LIMIT_MAX, 1000);
  assert.equal(config.RATE_LIMIT_WINDOW_MS, 60000);
  assert.equal(config.RATE_LIMIT_EXEMPT_LOOPBACK, true);
  assert.deepEqual(config.CORS_ORIGINS, []);
  assert.equal(config.DB_STATEMENT_TIMEOUT_MS, 30000);
  assert.equal(config.CONSUMER_FETCH_WAIT_MS, 20);
});

test('without DATABASE_URL, the local roles with their generated passwords, read from MUSIC_DATA_DIR', () => {
  const dirs: string[] = [];
  const config = loadConfig({ MUSIC_DATA_DIR: '/tmp/music-data' }, (dir) => {
    dirs.push(dir);
    return LOCAL;
  });
  assert.deepEqual(dirs, ['/tmp/music-data']);
  assert.equal(config.DATABASE_URL, 'postgres://music:owner-pw@127.0.0.1:5432/music');
  assert.equal(config.DATABASE_MIGRATE_URL, config.DATABASE_URL);
  assert.equal(config.DATABASE_WRITE_URL, 'postgres://music_writer:writer-pw@127.0.0.1:5432/music');
  assert.equal(
    config.DATABASE_READ_URL,
    'postgres://music_reader:reader%2Fpw@127.0.0.1:5432/music',
  );
  // One URL given or not, a URL set for one use wins.
  const readerElsewhere = loadConfig(
    { DATABASE_READ_URL: 'postgres://r:x@replica/music' },
    () => LOCAL,
  );
  assert.equal(readerElsewhere.DATABASE_READ_URL, 'postgres://r:x@replica/music');
  assert.equal(readerElsewhere.DATABASE_WRITE_URL, config.DATABASE_WRITE_URL);
});

test('DATABASE_URL alone serves every use, and no local password is read', () => {
  const url = 'postgres://app:secret@db.internal:5432/music';
  const config = loadConfig({ DATABASE_URL: url }, () => assert.fail('local passwords read'));
  for (const key of [
    'DATABASE_URL',
    'DATABASE_MIGRATE_URL',
    'DATABASE_WRITE_URL',
    'DATABASE_READ_URL',
  ] as const)
    assert.equal(config[key], url, key);
  const split = loadConfig({
    DATABASE_URL: url,
    DATABASE_MIGRATE_URL: 'postgres://owner:o@db.internal/music',
    DATABASE_WRITE_URL: 'postgres://writer:w@db.internal/music',
    DATABASE_READ_URL: 'postgres://reader:r@db.internal/music',
  });
  assert.equal(split.DATABASE_MIGRATE_URL, 'postgres://owner:o@db.internal/music');
  assert.equal(split.DATABASE_WRITE_URL, 'postgres://writer:w@db.internal/music');
  assert.equal(split.DATABASE_READ_URL, 'postgres://reader:r@db.internal/music');
});

test('CORS_ORIGINS is a list of origins; RATE_LIMIT_MAX=0 turns the limit off', () => {
  const config = loadConfig({
    CORS_ORIGINS: 'https://ui.example.com,http://localhost:5173',
    RATE_LIMIT_MAX: '0',
    RATE_LIMIT_WINDOW_MS: '1000',
    RATE_LIMIT_EXEMPT_LOOPBACK: 'false',
  });
  assert.equal(config.RATE_LIMIT_EXEMPT_LOOPBACK, false);
  assert.deepEqual(config.CORS_ORIGINS, ['https://ui.example.com', 'http://localhost:5173']);
  assert.equal(config.RATE_LIMIT_MAX, 0);
  assert.equal(config.RATE_LIMIT_WINDOW_MS, 1000);
});

test('values are converted to their types and lists split', () => {
  const config = loadConfig({
    REST_PORT: '8080',
    KAFKA_BROKERS: 'a:1,b:2',
    CONSUMER_BATCH_SIZE: '50',
  });
  assert.equal(config.REST_PORT, 8080);
  assert.deepEqual(config.KAFKA_BROKERS, ['a:1', 'b:2']);
  assert.equal(config.CONSUMER_BATCH_SIZE, 50);
});

test('a bad value fails with one line naming the variable and the value', () => {
  for (const [key, value] of [
    ['REST_PORT', 'abc'],
    ['GRPC_PORT', '70000'],
    ['KAFKA_BROKERS', 'no-port'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_MIGRATE_URL', 'http://x'],
    ['DATABASE_WRITE_URL', 'x'],
    ['DATABASE_READ_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_MS', '10'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://a.example/path'],
    ['CORS_ORIGINS', 'ui.example.com'],
    ['DB_STATEMENT_TIMEOUT_MS', 'soon'],
    // 0 would have each idle consumer fetch without pause.
    ['CONSUMER_FETCH_WAIT_MS', '0'],
  ] as const) {
    assert.throws(
      () => loadConfig({ [key]: value }, NONE),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(key) &&
        err.message.includes(value) &&
        !err.message.includes('\n'),
    );
  }
});

test('passwords are redacted from URLs', () => {
  assert.equal(redactUrl('postgres://music:secret@h:5432/db'), 'postgres://music:***@h:5432/db');
});

test('each process has a metrics port of its own unless METRICS_PORT names one', () => {
  const portOf = (processName?: string, env: NodeJS.ProcessEnv = {}) =>
    loadConfig(env, NONE, processName).METRICS_PORT;
  assert.equal(portOf(), METRICS_PORTS.rest);
  const ports = Object.keys(METRICS_PORTS).map((name) => portOf(name));
  assert.deepEqual(ports, [9464, 9465, 9466, 9467]);
  assert.equal(portOf('grpc', { METRICS_PORT: '9100' }), 9100);
  assert.equal(portOf('consumer-confluent', { METRICS_PORT: '0' }), 0);
  // A process without metrics of its own (the CLI, the probe) keeps the REST API's.
  assert.equal(portOf('music'), METRICS_PORTS.rest);
});
