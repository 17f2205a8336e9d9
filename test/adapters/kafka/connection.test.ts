import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  javaClientProperties,
  kafkaConnectionOf,
  librdkafkaConnection,
  platformaticConnection,
  propertiesText,
} from '../../../src/adapters/kafka/connection.ts';
import { ConfigError, loadConfig, secretsOf } from '../../../src/shared/config.ts';

const SECURED = {
  KAFKA_BROKERS: 'b1:9093,b2:9093',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'music-rest',
  KAFKA_SASL_PASSWORD: 'pa"ss\\word',
  KAFKA_SSL: 'true',
};

test('without SASL settings the connection is plaintext and unauthenticated', () => {
  const c = kafkaConnectionOf(loadConfig({}));
  assert.deepEqual(c, { brokers: ['127.0.0.1:9092'], sasl: null, ssl: null });
  assert.deepEqual(platformaticConnection(c), { bootstrapBrokers: ['127.0.0.1:9092'] });
  assert.deepEqual(librdkafkaConnection(c), {
    'bootstrap.servers': '127.0.0.1:9092',
    'security.protocol': 'plaintext',
  });
});

test('SASL and TLS settings reach both clients and the Java tools alike', () => {
  const c = kafkaConnectionOf(loadConfig(SECURED));
  assert.deepEqual(platformaticConnection(c), {
    bootstrapBrokers: ['b1:9093', 'b2:9093'],
    sasl: { mechanism: 'SCRAM-SHA-512', username: 'music-rest', password: 'pa"ss\\word' },
    tls: {},
  });
  assert.deepEqual(librdkafkaConnection(c), {
    'bootstrap.servers': 'b1:9093,b2:9093',
    'security.protocol': 'sasl_ssl',
    'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': 'music-rest',
    'sasl.password': 'pa"ss\\word',
  });
  const java = javaClientProperties(c);
  assert.equal(java['security.protocol'], 'SASL_SSL');
  assert.equal(
    java['sasl.jaas.config'],
    'org.apache.kafka.common.security.scram.ScramLoginModule required username="music-rest" password="pa\\"ss\\\\word";',
  );
  assert.match(propertiesText(java), /^sasl\.mechanism=SCRAM-SHA-512$/m);
  assert.ok(secretsOf(loadConfig(SECURED)).includes('pa"ss\\word'), 'the password is scrubbed');
  const token = 'a-metrics-token-of-32-characters';
  assert.ok(secretsOf(loadConfig({ METRICS_TOKEN: token })).includes(token), 'so is the token');
});

test('a SASL mechanism without a username or password is refused at start', () => {
  for (const missing of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) {
    const env: Record<string, string> = { ...SECURED };
    delete env[missing];
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, new RegExp(`${missing} is required with KAFKA_SASL_MECHANISM`));
        return true;
      },
    );
  }
  assert.throws(() => loadConfig({ KAFKA_SASL_MECHANISM: 'GSSAPI' }), ConfigError);
});
