import { Command, Option } from 'commander';
import { KAFKA_CLIENTS } from '../../../adapters/kafka/types.ts';
import type { ProduceOptions } from '../actions/kafka.ts';
import type { CliContext } from '../context.ts';
import { albumOptions, countParser } from '../options.ts';

/** `music kafka produce`: the original system's producer testers (3 on sarama, now platformatic; 4: confluent). */
export function kafkaCommand(ctx: CliContext): Command {
  const kafka = new Command('kafka').description('write albums straight to the Kafka topic');
  kafka
    .command('produce')
    .description(
      'send service.Album records keyed by id to KAFKA_TOPIC (idempotent, acks=all), ' +
        'bypassing the REST API',
    )
    .addOption(
      new Option('--client <client>', 'Kafka client library')
        .choices(KAFKA_CLIENTS)
        .makeOptionMandatory(),
    )
    .addOption(albumOptions.count().default(1))
    .addOption(albumOptions.artist())
    .addOption(albumOptions.title())
    .addOption(albumOptions.price())
    .addOption(
      albumOptions.firstId(
        'consecutive ids from this one (default: new ids from the sequence the REST API uses)',
      ),
    )
    .addOption(
      new Option('--batch-size <n>', 'records per publish call')
        .argParser(countParser(10_000))
        .default(1000),
    )
    .addOption(
      new Option('--concurrency <n>', 'publish calls in flight at once')
        .argParser(countParser(64))
        .default(4),
    )
    .action(async (o: ProduceOptions) => (await import('../actions/kafka.ts')).produce(ctx, o));
  return kafka;
}
