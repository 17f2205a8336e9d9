import { setTimeout as sleep } from 'node:timers/promises';
import { createSql } from '../../../adapters/db/client.ts';
import { kafkaConnectionOf } from '../../../adapters/kafka/connection.ts';
import { createGroupProbe } from '../../../adapters/kafka/group-probe.ts';
import type { CliContext } from '../context.ts';
import { readStatus, type StatusSources } from '../status-read.ts';
import { statusScreen } from '../status-screen.ts';

export interface StatusOptions {
  /** Seconds between refreshes; absent: print once. */
  readonly watch?: number;
  /** Milliseconds each endpoint may take to answer. */
  readonly timeout: number;
}

/** Clears a terminal and puts the cursor home, so that each refresh replaces the last screen. */
const CLEAR = '\x1b[H\x1b[2J';

/**
 * `music status`: the services, the consumer group, lag, dead letters and the album count, read
 * from the real endpoints; with --watch, again every few seconds until Ctrl-C (JSON: one line
 * per reading). Nothing here fails the command: an endpoint that does not answer is shown so.
 */
export async function status(ctx: CliContext, o: StatusOptions): Promise<void> {
  const config = ctx.config();
  const sources: StatusSources = {
    config,
    probe: createGroupProbe(
      kafkaConnectionOf(config),
      `${config.KAFKA_CLIENT_ID}-cli-status`,
      o.timeout,
    ),
    sql: createSql({
      url: config.DATABASE_READ_URL,
      max: 1,
      applicationName: 'music-cli',
      statementTimeoutMs: o.timeout,
    }),
    timeoutMs: o.timeout,
  };
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (;;) {
      const report = await readStatus(sources);
      const clear = o.watch !== undefined && process.stdout.isTTY === true;
      ctx.out.result(report, (width) => `${clear ? CLEAR : ''}${statusScreen(report, width)}`);
      if (o.watch === undefined || stopped.signal.aborted) break;
      await sleep(o.watch * 1000, undefined, { signal: stopped.signal }).catch(() => {});
      if (stopped.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await Promise.all([sources.probe.close(), sources.sql.end({ timeout: 5 })]);
  }
}
