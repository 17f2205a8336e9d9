import { createAlbumApiClient, type WriteMethod } from '../../../adapters/http/album-api-client.ts';
import type { AlbumSubmission } from '../../../domain/album.ts';
import { AppError, ErrorCode } from '../../../shared/errors.ts';
import { IdRange, sendInBatches, summarize, summaryLine } from '../batches.ts';
import { type CliContext, serviceUrl } from '../context.ts';
import { reaching } from '../failure.ts';
import { checkIdRange } from '../options.ts';
import { albumTable } from '../output.ts';
import { type AlbumTemplate, sampleAlbum } from '../sample-albums.ts';

/** The REST API answers once Kafka acknowledged; this bounds one request, batch included. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface WriteOptions extends AlbumTemplate {
  readonly single?: true;
  readonly count?: number;
  readonly id?: number;
  readonly firstId?: number;
  readonly batchSize: number;
  readonly concurrency: number;
}

/** `music rest post|put`: one album to /api/v1/album, or --count of them to /api/v1/albums. */
export async function write(ctx: CliContext, method: WriteMethod, o: WriteOptions): Promise<void> {
  const put = method === 'PUT';
  if (put && o.count === undefined && o.id === undefined) {
    throw new AppError(ErrorCode.InvalidArgument, 'put --single needs --id <id>');
  }
  if (put && o.count !== undefined && o.firstId === undefined) {
    throw new AppError(ErrorCode.InvalidArgument, 'put --count needs --first-id <id>');
  }
  const config = ctx.config();
  const baseUrl = serviceUrl(config.REST_HOST, config.REST_PORT);
  const api = createAlbumApiClient({ baseUrl, timeoutMs: REQUEST_TIMEOUT_MS });

  if (o.count === undefined) {
    const album = await reaching('the REST API', baseUrl, () =>
      api.writeOne(method, { id: o.id, ...sampleAlbum(o, 0, 1) }),
    );
    ctx.out.result(
      album,
      (width) =>
        `accepted (on the Kafka topic; stored once a consumer writes it)\n${albumTable([album], width)}`,
    );
    return;
  }

  const count = o.count;
  const firstId = o.firstId;
  checkIdRange(firstId, count);
  const ids = new IdRange();
  const started = performance.now();
  await reaching('the REST API', baseUrl, () =>
    sendInBatches(
      { total: count, batchSize: o.batchSize, concurrency: o.concurrency },
      async (start, size) => {
        const albums = Array.from(
          { length: size },
          (_, k): AlbumSubmission => ({
            id: firstId === undefined ? undefined : firstId + start + k,
            ...sampleAlbum(o, start + k, count),
          }),
        );
        ids.add(
          (await api.writeBatch(method, albums)).flatMap((a) => (a.id === null ? [] : [a.id])),
        );
      },
      ctx.progress(count, 'albums'),
    ),
  );
  const summary = summarize(count, ids, started);
  ctx.out.result(summary, () => summaryLine('accepted', summary));
}
