import { Command, Option } from 'commander';
import { CLIENTS, type ClientName, runConsumer } from '../consumer/main.ts';

/** The `music` command line; every command reads the same configuration as the services. */
const program = new Command('music')
  .description('music-service: the album catalogue on Kafka and PostgreSQL')
  .showHelpAfterError();

program
  .command('consume')
  .description('run one consumer in the group KAFKA_GROUP_ID, writing KAFKA_TOPIC to PostgreSQL')
  .addOption(
    new Option('--client <client>', 'Kafka client library')
      .choices(CLIENTS)
      .default('platformatic'),
  )
  .action(async (options: { client: ClientName }) => {
    await runConsumer(options.client);
  });

await program.parseAsync();
