import { Command, Option } from 'commander';
import { CLIENTS, type ClientName, runConsumer } from '../../consumer/main.ts';

/** `music consume`: one more consumer in the group, as a process of its own until stopped. */
export function consumeCommand(): Command {
  return new Command('consume')
    .description('run one consumer in the group KAFKA_GROUP_ID, writing KAFKA_TOPIC to PostgreSQL')
    .addOption(
      new Option('--client <client>', 'Kafka client library')
        .choices(CLIENTS)
        .default('platformatic'),
    )
    .action(async (options: { client: ClientName }) => {
      await runConsumer(options.client);
    });
}
