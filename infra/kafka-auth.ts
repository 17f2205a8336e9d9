// The local broker's principals: passwords generated at its first format and kept under the
// data dir (0600), the SASL/ACL part of its server.properties, and the ACLs each principal gets.
// Deny by default: a principal may do only what its ACLs below allow; the admin is a super user.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Acl,
  AclOperations,
  AclPermissionTypes,
  Admin,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import {
  jaasQuote,
  type KafkaConnection,
  librdkafkaConnection,
  platformaticConnection,
  propertiesText,
} from '../src/adapters/kafka/connection.ts';

/** Who connects: the provisioning and people's tools, the REST API, the consumers. */
export const KAFKA_ROLES = ['admin', 'rest', 'consumer'] as const;
export type KafkaRole = (typeof KAFKA_ROLES)[number];

export const KAFKA_USERNAMES: Record<KafkaRole, string> = {
  admin: 'admin',
  rest: 'music-rest',
  consumer: 'music-consumer',
};

export type KafkaPasswords = Record<KafkaRole, string>;

const credentialsFile = (dataDir: string) => join(dataDir, 'kafka', 'credentials.json');

/** The passwords of a broker formatted with authentication; null for one formatted before. */
export function readKafkaPasswords(dataDir: string): KafkaPasswords | null {
  const file = credentialsFile(dataDir);
  if (!existsSync(file)) return null;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<KafkaPasswords>;
  for (const role of KAFKA_ROLES)
    if (typeof parsed[role] !== 'string') throw new Error(`${file}: no password for ${role}`);
  return parsed as KafkaPasswords;
}

/** New passwords, written before the storage is formatted with them. */
export async function createKafkaPasswords(dataDir: string): Promise<KafkaPasswords> {
  const passwords = Object.fromEntries(
    KAFKA_ROLES.map((role) => [role, randomBytes(18).toString('base64url')]),
  ) as KafkaPasswords;
  await writeFile(credentialsFile(dataDir), `${JSON.stringify(passwords, null, 2)}\n`, {
    mode: 0o600,
  });
  return passwords;
}

/** How `role` connects to the local broker: SCRAM-SHA-512 when it has passwords, else plain. */
export function localKafkaConnection(
  brokers: readonly string[],
  passwords: KafkaPasswords | null,
  role: KafkaRole,
): KafkaConnection {
  return {
    brokers,
    sasl:
      passwords === null
        ? null
        : {
            mechanism: 'SCRAM-SHA-512',
            username: KAFKA_USERNAMES[role],
            password: passwords[role],
          },
    ssl: null,
  };
}

/** The settings a process gets to connect as `role` (the names loadConfig reads). */
export function kafkaEnv(connection: KafkaConnection): Record<string, string> {
  return connection.sasl === null
    ? {}
    : {
        KAFKA_SASL_MECHANISM: connection.sasl.mechanism,
        KAFKA_SASL_USERNAME: connection.sasl.username,
        KAFKA_SASL_PASSWORD: connection.sasl.password,
      };
}

/** The admin's settings for kcat and other librdkafka tools: `kcat -F <file> -L`. */
export async function writeClientProperties(
  dataDir: string,
  admin: KafkaConnection,
): Promise<void> {
  await writeFile(
    join(dataDir, 'kafka', 'client.properties'),
    propertiesText(librdkafkaConnection(admin)),
    { mode: 0o600 },
  );
}

/**
 * The listener and security lines of server.properties. With passwords: clients and the broker
 * itself authenticate with SCRAM-SHA-512 on the client port, the controller port takes only the
 * admin (PLAIN: SCRAM credentials live in the metadata the controller serves, so it cannot use
 * them itself), and the StandardAuthorizer denies what no ACL allows. Without: plaintext, as a
 * broker formatted before authentication existed still runs.
 */
export function brokerSecurityProperties(
  o: { host: string; advertisedHost: string; port: number; controllerPort: number },
  passwords: KafkaPasswords | null,
): string {
  if (passwords === null)
    return [
      `listeners=PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
      `advertised.listeners=PLAINTEXT://${o.advertisedHost}:${o.port}`,
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    ].join('\n');
  const admin = KAFKA_USERNAMES.admin;
  const password = jaasQuote(passwords.admin);
  return [
    `listeners=BROKER://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    `advertised.listeners=BROKER://${o.advertisedHost}:${o.port}`,
    'inter.broker.listener.name=BROKER',
    'listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    'listener.name.broker.sasl.enabled.mechanisms=SCRAM-SHA-512',
    `listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${jaasQuote(admin)} password=${password};`,
    'sasl.mechanism.controller.protocol=PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms=PLAIN',
    `listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=${jaasQuote(admin)} password=${password} user_${admin}=${password};`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${admin}`,
    'allow.everyone.if.no.acl.found=false',
  ].join('\n');
}

/** The storage tool's arguments that create every principal's SCRAM credential at format. */
export function scramFormatArgs(passwords: KafkaPasswords): string[] {
  return KAFKA_ROLES.flatMap((role) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${KAFKA_USERNAMES[role]},password=${passwords[role]}]`,
  ]);
}

export interface AclNames {
  readonly topic: string;
  readonly dlqTopic: string;
  readonly groupId: string;
  /** The REST API's transactional ids start with this (the client id plus "-rest"). */
  readonly transactionalIdPrefix: string;
}

/**
 * What each service principal may do, and nothing more. The REST API writes albums
 * (idempotently, in transactions) and describes the group for /readyz and the dead-letter topic for
 * its metrics; the consumers read albums
 * in their group and write dead letters (idempotently).
 */
export function serviceAcls(names: AclNames): Acl[] {
  const allow = (
    role: Exclude<KafkaRole, 'admin'>,
    resourceType: Acl['resourceType'],
    resourceName: string,
    operation: Acl['operation'],
    pattern: Acl['resourcePatternType'] = ResourcePatternTypes.LITERAL,
  ): Acl => ({
    principal: `User:${KAFKA_USERNAMES[role]}`,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType: pattern,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const { TOPIC, GROUP, CLUSTER, TRANSACTIONAL_ID } = ResourceTypes;
  const { READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE } = AclOperations;
  return [
    allow('rest', TOPIC, names.topic, WRITE),
    allow('rest', TOPIC, names.topic, DESCRIBE),
    allow('rest', CLUSTER, 'kafka-cluster', IDEMPOTENT_WRITE),
    allow(
      'rest',
      TRANSACTIONAL_ID,
      names.transactionalIdPrefix,
      WRITE,
      ResourcePatternTypes.PREFIXED,
    ),
    allow(
      'rest',
      TRANSACTIONAL_ID,
      names.transactionalIdPrefix,
      DESCRIBE,
      ResourcePatternTypes.PREFIXED,
    ),
    allow('rest', GROUP, names.groupId, DESCRIBE),
    // Its metrics count the dead letters (the topic's end offsets): describe, never write or read.
    allow('rest', TOPIC, names.dlqTopic, DESCRIBE),
    allow('consumer', TOPIC, names.topic, READ),
    allow('consumer', TOPIC, names.topic, DESCRIBE),
    allow('consumer', GROUP, names.groupId, READ),
    allow('consumer', TOPIC, names.dlqTopic, WRITE),
    allow('consumer', TOPIC, names.dlqTopic, DESCRIBE),
    allow('consumer', CLUSTER, 'kafka-cluster', IDEMPOTENT_WRITE),
  ];
}

/** Creates the service principals' ACLs (creating one that exists changes nothing). */
export async function ensureServiceAcls(admin: KafkaConnection, names: AclNames): Promise<void> {
  const client = new Admin({ clientId: 'music-service-acls', ...platformaticConnection(admin) });
  try {
    await client.createAcls({ creations: serviceAcls(names) });
  } finally {
    await client.close();
  }
}
