import { Command, Option } from 'commander';
import type { StatusOptions } from '../actions/status.ts';
import type { CliContext } from '../context.ts';
import { countParser } from '../options.ts';

/** `music status`: every process and the pipeline's progress on one screen. */
export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description(
      'the services (REST, gRPC, consumers: up?), the consumer group and its partitions, lag, ' +
        'dead letters and the albums in the database, from the real endpoints',
    )
    .addOption(
      new Option('--watch [seconds]', 'refresh every few seconds until Ctrl-C')
        .argParser(countParser(3600))
        .preset(2),
    )
    .addOption(
      new Option('--timeout <ms>', 'how long each endpoint may take to answer')
        .argParser(countParser(60_000))
        .default(2000),
    )
    .action(async (o: StatusOptions) => (await import('../actions/status.ts')).status(ctx, o));
}
