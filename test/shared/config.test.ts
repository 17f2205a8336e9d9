import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, redactUrl } from '../../src/shared/config.ts';

test('an empty environment gives the documented defaults', () => {
  const config = loadConfig({});
  assert.equal(config.DATABASE_URL, 'postgres://music:music@127.0.0.1:5432/music');
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
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_MAX', '-1'],
    ['RATE_LIMIT_WINDOW_MS', '10'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://a.example/path'],
    ['CORS_ORIGINS', 'ui.example.com'],
    ['DB_STATEMENT_TIMEOUT_MS', 'soon'],
  ] as const) {
    assert.throws(
      () => loadConfig({ [key]: value }),
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
