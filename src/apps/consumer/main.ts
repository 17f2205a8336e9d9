import { parseArgs } from 'node:util';
import { KAFKA_CLIENTS, type KafkaClientName } from '../../adapters/kafka/types.ts';
import { runProcess } from '../../shared/process.ts';
import { createConsumerRuntime } from './runtime.ts';

export const CLIENTS = KAFKA_CLIENTS;

/** One consumer process on the chosen Kafka client; both share the processing. */
export function runConsumer(client: KafkaClientName): Promise<void> {
  return runProcess(`consumer-${client}`, async ({ config, log, onShutdown, signal, stop }) => {
    const consumer = await createConsumerRuntime(config, client, { log });
    onShutdown(() => consumer.close());
    consumer.stopped.then(
      () => log.info('consumer stopped'),
      (err: unknown) => {
        if (signal.aborted) return;
        log.fatal({ err }, 'consumer failed');
        stop('consumer failed', 1);
      },
    );
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { client: { type: 'string', default: 'platformatic' } },
  });
  const client = CLIENTS.find((c) => c === values.client);
  if (!client) {
    process.stderr.write(
      `consumer: --client must be one of ${CLIENTS.join(', ')} (got ${values.client})\n`,
    );
    process.exit(2);
  }
  await runConsumer(client);
}
