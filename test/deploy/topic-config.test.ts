// The album topic's configuration the services set (ALBUM_TOPIC_CONFIGS) is what the deploy files
// create.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALBUM_TOPIC_CONFIGS } from '../../src/adapters/kafka/topics.ts';
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
  for (const [name, value] of Object.entries(ALBUM_TOPIC_CONFIGS))
    assert.equal(album.spec.config?.[name], value, name);
});

test("Compose's topic job sets the album topic's configs, also on a topic that existed", () => {
  const compose = readYaml<{ services: Record<string, { command?: string[] }> }>(
    join(DEPLOY, 'compose.yaml'),
  );
  const script = compose.services['kafka-topics']?.command?.join('\n') ?? '';
  for (const [name, value] of Object.entries(ALBUM_TOPIC_CONFIGS))
    assert.match(
      script,
      new RegExp(`--entity-name "\\$\\$KAFKA_TOPIC"[^]*--add-config (\\S+,)?${name}=${value}\\b`),
    );
});
