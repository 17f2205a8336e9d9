// The album topic's configuration the services set (BROKER_TIME) is what the deploy files create.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BROKER_TIME } from '../../src/adapters/kafka/topics.ts';
import { DEPLOY, K8S, readYaml, yamlDocuments } from './files.ts';

interface KafkaTopic {
  kind: string;
  spec: { topicName: string; config?: Record<string, unknown> };
}

test('the Strimzi album topic has the configs the services set, the DLQ is left alone', () => {
  const topics = yamlDocuments<KafkaTopic>(
    readFileSync(join(K8S, 'kafka-topics.yaml'), 'utf8'),
    'kafka-topics.yaml',
  ).filter((d) => d.kind === 'KafkaTopic');
  const album = topics.find((t) => t.spec.topicName === 'music.albums');
  assert.ok(album);
  for (const [name, value] of Object.entries(BROKER_TIME))
    assert.equal(album.spec.config?.[name], value, name);
});

test("Compose's topic job sets the album topic's configs, also on a topic that existed", () => {
  const compose = readYaml<{ services: Record<string, { command?: string[] }> }>(
    join(DEPLOY, 'compose.yaml'),
  );
  const script = compose.services['kafka-topics']?.command?.join('\n') ?? '';
  for (const [name, value] of Object.entries(BROKER_TIME))
    assert.match(
      script,
      new RegExp(`--entity-name "\\$\\$KAFKA_TOPIC"[^]*--add-config ${name}=${value}`),
    );
});
