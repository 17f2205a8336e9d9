// The REST app wired as src/apps/rest/main.ts wires it (publisher, id allocator, repository,
// readiness), in-process for app.inject, on whichever broker and database a test names.

import type { Sql } from '../../src/adapters/db/client.ts';
import { IdAllocator } from '../../src/adapters/db/id-allocator.ts';
import { createAlbumRepository } from '../../src/adapters/db/orm/album-repository.ts';
import { createGroupProbe, type GroupProbe } from '../../src/adapters/kafka/group-probe.ts';
import { createPublisher, type Publisher } from '../../src/adapters/kafka/publisher.ts';
import { buildRestApp } from '../../src/apps/rest/app.ts';
import { createReadiness } from '../../src/apps/rest/readiness.ts';
import type { Logger } from '../../src/shared/logger.ts';
import { uniqueName } from './stack.ts';

export interface RestStack {
  readonly app: Awaited<ReturnType<typeof buildRestApp>>;
  readonly probe: GroupProbe;
  close(): Promise<void>;
}

/**
 * The REST app on the given servers; with a `groupId`, /readyz checks them as in production,
 * without one it always says ready.
 */
export async function restStack(o: {
  readonly sql: Sql;
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId?: string;
  readonly log: Logger;
  readonly produceTimeoutMs?: number;
}): Promise<RestStack> {
  const publisher: Publisher = createPublisher({
    brokers: o.brokers,
    clientId: uniqueName('fault-rest'),
    timeoutMs: o.produceTimeoutMs ?? 3000,
  });
  const probe = createGroupProbe(o.brokers, uniqueName('fault-probe'));
  const ids = new IdAllocator(o.sql);
  const app = await buildRestApp({
    log: o.log,
    intake: {
      allocateIds: (count) => ids.take(count),
      publish: (messages) => publisher.publish(o.topic, messages),
    },
    albums: createAlbumRepository(o.sql),
    readiness:
      o.groupId === undefined
        ? async () => ({ ready: true, checks: {} })
        : createReadiness(o.sql, probe, o.groupId, 0),
  });
  return {
    app,
    probe,
    async close() {
      await app.close();
      await publisher.close();
      await probe.close();
    },
  };
}
