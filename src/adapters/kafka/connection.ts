import { readFileSync } from 'node:fs';
import type { SASLOptions } from '@platformatic/kafka';
import type { Config } from '../../shared/config.ts';
import { keepLateConnectionErrors } from './shims/platformatic-connection-errors.ts';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Where a Kafka cluster answers and how a client proves who it is: what every client needs. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** null: no authentication (a PLAINTEXT listener). */
  readonly sasl: {
    readonly mechanism: SaslMechanism;
    readonly username: string;
    readonly password: string;
  } | null;
  /** TLS to the brokers; `caFile` adds a private CA (Strimzi's cluster CA) to Node's own. */
  readonly ssl: { readonly caFile: string | null } | null;
}

/** The connection settings of @platformatic/kafka's clients (Producer, Consumer, Admin). */
export function platformaticConnection(c: KafkaConnection): {
  bootstrapBrokers: string[];
  sasl?: SASLOptions;
  tls?: { ca?: Buffer };
} {
  // Every @platformatic/kafka client is made with these options: none may crash the process.
  keepLateConnectionErrors();
  return {
    bootstrapBrokers: [...c.brokers],
    ...(c.sasl === null ? {} : { sasl: { ...c.sasl } }),
    ...(c.ssl === null
      ? {}
      : { tls: c.ssl.caFile === null ? {} : { ca: readFileSync(c.ssl.caFile) } }),
  };
}

/** The same settings as librdkafka's properties (also what kcat's `-F` file holds). */
export function librdkafkaConnection(c: KafkaConnection): Record<string, string> {
  const protocol = `${c.sasl === null ? '' : 'sasl_'}${c.ssl === null ? 'plaintext' : 'ssl'}`;
  return {
    'bootstrap.servers': c.brokers.join(','),
    'security.protocol': protocol,
    ...(c.sasl === null
      ? {}
      : {
          'sasl.mechanisms': c.sasl.mechanism,
          'sasl.username': c.sasl.username,
          'sasl.password': c.sasl.password,
        }),
    ...(c.ssl?.caFile ? { 'ssl.ca.location': c.ssl.caFile } : {}),
  };
}

/** The connection the configuration describes (loadConfig checked that SASL settings go together). */
export function kafkaConnectionOf(
  config: Pick<
    Config,
    | 'KAFKA_BROKERS'
    | 'KAFKA_SASL_MECHANISM'
    | 'KAFKA_SASL_USERNAME'
    | 'KAFKA_SASL_PASSWORD'
    | 'KAFKA_SSL'
    | 'KAFKA_SSL_CA_FILE'
  >,
): KafkaConnection {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = config;
  const password = config.KAFKA_SASL_PASSWORD;
  return {
    brokers: config.KAFKA_BROKERS,
    sasl:
      mechanism === undefined || username === undefined || password === undefined
        ? null
        : { mechanism: mechanism as SaslMechanism, username, password },
    ssl: config.KAFKA_SSL ? { caFile: config.KAFKA_SSL_CA_FILE ?? null } : null,
  };
}

/** A value in a JAAS login line: double-quoted, with backslashes and quotes escaped. */
export const jaasQuote = (s: string): string =>
  `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** The same settings as the Java client's properties (Kafka's own tools take them as a file). */
export function javaClientProperties(c: KafkaConnection): Record<string, string> {
  const module =
    c.sasl?.mechanism === 'PLAIN' ? 'plain.PlainLoginModule' : 'scram.ScramLoginModule';
  return {
    'bootstrap.servers': c.brokers.join(','),
    'security.protocol': librdkafkaConnection(c)['security.protocol']?.toUpperCase() ?? 'PLAINTEXT',
    ...(c.sasl === null
      ? {}
      : {
          'sasl.mechanism': c.sasl.mechanism,
          'sasl.jaas.config': `org.apache.kafka.common.security.${module} required username=${jaasQuote(c.sasl.username)} password=${jaasQuote(c.sasl.password)};`,
        }),
    ...(c.ssl?.caFile
      ? { 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': c.ssl.caFile }
      : {}),
  };
}

/** Properties as a `.properties` file's text (values escaped as java.util.Properties reads them). */
export function propertiesText(props: Record<string, string>): string {
  const escaped = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${escaped(v)}`)
    .join('\n')}\n`;
}
