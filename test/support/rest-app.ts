// The REST app without backends, for tests of what it serves rather than what it stores.

import { listenAlbumGenerations } from '../../src/adapters/db/album-generations.ts';
import type { Sql } from '../../src/adapters/db/client.ts';
import { createAlbumRepository } from '../../src/adapters/db/orm/album-repository.ts';
import { buildRestApp } from '../../src/apps/rest/app.ts';
import type { Readiness } from '../../src/apps/rest/routes/health.ts';
import type { Album } from '../../src/domain/album.ts';
import type { AlbumReads } from '../../src/domain/listing.ts';
import { createGenerationCache } from '../../src/shared/generation-cache.ts';
import { log } from './stack.ts';

/** A catalogue with no albums, for apps whose tests read nothing. */
export const emptyCatalogue: AlbumReads = {
  list: async () => ({ items: [], next: null, prev: null }),
  count: async () => ({ count: 0, estimated: false }),
  get: async () => null,
};

/** The REST API with an empty catalogue that refuses writes, the readiness given, the UI at `uiDir`. */
export function buildOfflineRestApp(
  readiness: Readiness = { ready: true, checks: {} },
  uiDir?: string,
) {
  return buildRestApp({
    log,
    intake: {
      allocateIds: () => Promise.reject(new Error('no writes here')),
      publish: () => Promise.reject(new Error('no writes here')),
    },
    albums: emptyCatalogue,
    readiness: async () => readiness,
    uiDir,
  });
}

/** The REST API reading `sql` through the ORM, as it runs; a write reaching it fails the test. */
export async function buildReadRestApp(sql: Sql) {
  // List answers kept until the table changes, as the runtime keeps them on the primary.
  const generations = listenAlbumGenerations(sql);
  const app = await buildRestApp({
    log,
    intake: {
      allocateIds: () => Promise.reject(new Error('reads must not allocate ids')),
      publish: () => Promise.reject(new Error('reads must not publish')),
    },
    albums: createAlbumRepository(sql),
    answers: createGenerationCache(generations, 1024),
    readiness: async () => ({ ready: true, checks: {} }),
  });
  app.addHook('onClose', () => generations.close());
  return app;
}

/** Inserts albums straight into music.albums in one statement, prices as decimals. */
export function insertAlbums(sql: Sql, albums: readonly Album[]) {
  return sql`
    insert into music.albums (id, title, artist, price)
    select * from unnest(
      ${albums.map((a) => a.id)}::int4[],
      ${albums.map((a) => a.title)}::text[],
      ${albums.map((a) => a.artist)}::text[],
      ${albums.map((a) => a.price.toFixed(2))}::text[]::numeric[])`;
}
