// The REST runtime (src/apps/rest/runtime.ts) on whichever broker and database a fault test
// names, for app.inject; /readyz checks them as in production.
import type { Sql } from '../../src/adapters/db/client.ts';
import type { KafkaConnection } from '../../src/adapters/kafka/connection.ts';
import { createRestRuntime, type RestRuntime } from '../../src/apps/rest/runtime.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { configWith, kafkaSettings, uniqueName } from './stack.ts';

export type RestStack = RestRuntime;

/**
 * The REST API on the given servers, its database client owned by the caller. Without a
 * `groupId`, readiness looks at a group of its own, which no consumer joins.
 */
export function restStack(o: {
  readonly sql: Sql;
  /** A standby's client: reads go to it while it keeps up. */
  readonly readSql?: Sql;
  readonly kafka: KafkaConnection;
  readonly topic: string;
  readonly groupId?: string;
  readonly log: Logger;
  readonly produceTimeoutMs?: number;
  /** Its transactional ids start with this plus "-rest" (for ACLs on them). */
  readonly clientId?: string;
}): Promise<RestStack> {
  const settings = configWith({
    ...kafkaSettings(o.kafka),
    KAFKA_TOPIC: o.topic,
    KAFKA_DLQ_TOPIC: `${o.topic}.dlq`,
    KAFKA_GROUP_ID: o.groupId ?? uniqueName('rest-group'),
    KAFKA_CLIENT_ID: o.clientId ?? uniqueName('fault-rest'),
    PRODUCE_TIMEOUT_MS: o.produceTimeoutMs ?? 3000,
  });
  // The caller made the topics, or the broker is not there yet (a fault test starts it later).
  return createRestRuntime(settings, {
    sql: o.sql,
    ...(o.readSql === undefined ? {} : { readSql: o.readSql }),
    log: o.log,
    createTopics: false,
  });
}
