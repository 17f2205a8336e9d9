import { Command, Option } from 'commander';
import { KAFKA_CLIENTS, type KafkaClientName } from '../../../adapters/kafka/types.ts';
import type { CliContext } from '../context.ts';

/** `music consume`: one more consumer in the group, as a process of its own until stopped. */
export function consumeCommand(ctx: CliContext): Command {
  return new Command('consume')
    .description('run one consumer in the group KAFKA_GROUP_ID, writing KAFKA_TOPIC to PostgreSQL')
    .addOption(
      new Option('--client <client>', 'Kafka client library')
        .choices(KAFKA_CLIENTS)
        .default('platformatic'),
    )
    .action(async (options: { client: KafkaClientName }) => {
      // The consumer reads its settings from the environment as the service does: the
      // endpoint flags become that environment for this run.
      Object.assign(process.env, ctx.env());
      return (await import('../../consumer/main.ts')).runConsumer(options.client);
    });
}
