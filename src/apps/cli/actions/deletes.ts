import { deleteStoredAlbum } from '../../../adapters/db/album-changes.ts';
import { DEFAULT_RETRY } from '../../../adapters/http/album-api-client.ts';
import { createAlbumDeleteClient } from '../../../adapters/http/album-delete-client.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import { MAX_BATCH } from '../../rest/schemas.ts';
import { type CliContext, serviceUrl } from '../context.ts';
import { reaching } from '../failure.ts';
import { withDatabase } from './db.ts';

/** The REST API answers once Kafka acknowledged; this bounds one request, a batch included. */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * `music rest delete ID…`: one DELETE, or batch deletes of up to MAX_BATCH ids each. Each id's
 * tombstone is on the topic when this succeeds; the consumers delete the rows shortly after.
 */
export async function restDelete(ctx: CliContext, ids: readonly number[]): Promise<void> {
  const config = ctx.config();
  const baseUrl = serviceUrl(config.REST_HOST, config.REST_PORT);
  const api = createAlbumDeleteClient({
    baseUrl,
    timeoutMs: REQUEST_TIMEOUT_MS,
    retry: DEFAULT_RETRY,
  });
  const unique = [...new Set(ids)];
  const deleted: number[] = [];
  await reaching('the REST API', baseUrl, async () => {
    for (let i = 0; i < unique.length; i += MAX_BATCH) {
      deleted.push(...(await api.delete(unique.slice(i, i + MAX_BATCH))));
    }
  });
  ctx.out.result(
    { deleted },
    () =>
      `accepted: ${deleted.length === 1 ? 'the delete' : `${deleted.length} deletes`} on the ` +
      `Kafka topic (the albums go once a consumer applies them): ${deleted.join(' ')}`,
  );
}

/**
 * `music db delete ID`: deletes the row straight from PostgreSQL, bypassing Kafka, keeping a
 * tombstone so that a replay of the topic does not bring it back (album-deletes.ts).
 */
export async function dbDelete(ctx: CliContext, id: number): Promise<void> {
  const found = await withDatabase(ctx, 'write', (sql) => deleteStoredAlbum(sql, id));
  if (!found) throw new AppError(ErrorCode.NotFound, `album ${id} does not exist`);
  ctx.out.result({ deleted: [id] }, () => `deleted album ${id}`);
}
