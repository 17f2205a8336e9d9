import { Command, Option } from 'commander';
import type { ListOptions, ReplayOptions } from '../actions/dlq.ts';
import type { CliContext } from '../context.ts';
import { countParser, parseSince } from '../options.ts';

/** `music dlq list|replay`: the dead letters of KAFKA_DLQ_TOPIC, and sending them back. */
export function dlqCommand(ctx: CliContext): Command {
  const dlq = new Command('dlq').description(
    'operate the dead-letter topic KAFKA_DLQ_TOPIC: list its records, replay fixed ones',
  );
  dlq
    .command('list')
    .description(
      'show the oldest dead letters: reason, source topic/partition/offset, when, and the album ' +
        'if the value decodes',
    )
    .addOption(
      new Option('--limit <n>', 'dead letters to show at most')
        .argParser(countParser(100_000))
        .default(100),
    )
    .action(async (o: ListOptions) => (await import('../actions/dlq.ts')).list(ctx, o));
  dlq
    .command('replay')
    .description(
      're-publish the selected dead letters (key and value as they are) to KAFKA_TOPIC, once ' +
        'each: PostgreSQL remembers what was replayed, so running it again sends nothing twice',
    )
    .addOption(new Option('--reason <text>', 'only dead letters whose reason contains this text'))
    .addOption(
      new Option(
        '--since <time>',
        'only records dead-lettered since this ISO 8601 time, or this long ago (30m, 2h, 7d)',
      ).argParser((value) => parseSince(value)),
    )
    .addOption(new Option('--dry-run', 'show what would be replayed; publish nothing'))
    .action(async (o: ReplayOptions) => (await import('../actions/dlq.ts')).replay(ctx, o));
  return dlq;
}
