// The services' Kafka principals and ACLs as the deployment files declare them (Strimzi
// KafkaUsers, the kafka-acls.sh calls of Compose's topic job), read into the Acl records of
// infra/kafka-auth.ts, so that the tests compare them with serviceAcls(): the local broker's,
// Kubernetes' and Compose's rules cannot drift apart.
import assert from 'node:assert/strict';
import {
  type Acl,
  AclOperations,
  AclPermissionTypes,
  ResourcePatternTypes,
  ResourceTypes,
} from '@platformatic/kafka';
import type { AclNames, KafkaRole } from '../../infra/kafka-auth.ts';
import type { Config } from '../../src/shared/config.ts';
import type { KafkaUser } from './k8s-objects.ts';

/** The names the ACLs are about, from the configuration the services load. */
export const aclNamesOf = (config: Config): AclNames => ({
  topic: config.KAFKA_TOPIC,
  dlqTopic: config.KAFKA_DLQ_TOPIC,
  groupId: config.KAFKA_GROUP_ID,
  transactionalIdPrefix: `${config.KAFKA_CLIENT_ID}-rest`,
});

/** Who a process of our image (roleOfCommand) is to Kafka; null for the gRPC API, which uses none. */
export function kafkaRoleOf(role: string): Exclude<KafkaRole, 'admin'> | null {
  if (role === 'grpc') return null;
  if (role === 'rest') return 'rest';
  assert.match(role, /^consumer /, `${role}: no Kafka role known`);
  return 'consumer';
}

/** The one name of the cluster resource, in Kafka as in Strimzi. */
const CLUSTER_NAME = 'kafka-cluster';

/** `IdempotentWrite`, `transactionalId` or `transactional-id` as a key of Kafka's enumerations. */
const constantCase = (name: string) =>
  name
    .replace(/(?<=[a-z])(?=[A-Z])/g, '_')
    .replaceAll('-', '_')
    .toUpperCase();

function enumValue<T extends Record<string, number>>(table: T, name: string, what: string) {
  const key = constantCase(name);
  assert.ok(Object.hasOwn(table, key), `${name} is no ${what}`);
  return table[key] as T[keyof T];
}

/** `literal`, or `prefix` (Strimzi) and `prefixed` (kafka-acls.sh). */
const patternOf = (name: string) =>
  enumValue(ResourcePatternTypes, name === 'prefix' ? 'prefixed' : name, 'resource pattern type');

const labelOf = (table: Record<string, number>, value: number) =>
  Object.keys(table).find((key) => table[key] === value) ?? `unknown ${value}`;

/**
 * ACLs as sorted lines, e.g. `User:music-rest ALLOW WRITE on TOPIC music.albums (LITERAL) from
 * *`: compared as lists, a difference reads at a glance.
 */
export function aclLines(acls: readonly Acl[]): string[] {
  return acls
    .map(
      (a) =>
        `${a.principal} ${labelOf(AclPermissionTypes, a.permissionType)} ` +
        `${labelOf(AclOperations, a.operation)} on ${labelOf(ResourceTypes, a.resourceType)} ` +
        `${a.resourceName} (${labelOf(ResourcePatternTypes, a.resourcePatternType)}) from ${a.host}`,
    )
    .sort();
}

/** What the User Operator grants a KafkaUser: SCRAM users are principals by their name. */
export function strimziAcls(user: KafkaUser): Acl[] {
  const principal = `User:${user.metadata.name}`;
  return (user.spec.authorization?.acls ?? []).flatMap((rule) => {
    const resourceType = enumValue(ResourceTypes, rule.resource.type, 'resource type');
    const resourceName =
      resourceType === ResourceTypes.CLUSTER ? CLUSTER_NAME : (rule.resource.name ?? '');
    assert.ok(resourceName, `${user.metadata.name}: a ${rule.resource.type} needs a name`);
    return rule.operations.map(
      (operation): Acl => ({
        principal,
        host: rule.host ?? '*',
        resourceType,
        resourceName,
        resourcePatternType: patternOf(rule.resource.patternType ?? 'literal'),
        operation: enumValue(AclOperations, operation, 'ACL operation'),
        permissionType: enumValue(AclPermissionTypes, rule.type ?? 'allow', 'permission type'),
      }),
    );
  });
}

/**
 * The commands of a Compose service's shell script, each as its words: continuation lines
 * joined, comments and blank lines dropped, quotes removed, and `$$NAME` (the shell's `$NAME`
 * once Compose has unescaped it) replaced by `env`'s value where it has one. A call of a
 * function defined in the script (`name() {`, `}` on lines of their own) stands as the
 * function's commands, its `"$$@"` replaced by the call's words. Enough for the scripts here,
 * not a shell.
 */
export function shellCommands(script: string, env: Record<string, string>): string[][] {
  const lines = script
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const functions = new Map<string, string[][]>();
  const commands: string[][] = [];
  let defining: string[][] | null = null;
  for (const line of lines) {
    const start = /^(\w+)\(\)\s*\{$/.exec(line);
    if (start?.[1]) {
      defining = [];
      functions.set(start[1], defining);
    } else if (line === '}' && defining) {
      defining = null;
    } else if (defining) {
      defining.push(shellWords(line, env));
    } else {
      const words = shellWords(line, env);
      const body = functions.get(words[0] ?? '');
      if (!body) commands.push(words);
      else
        for (const command of body)
          commands.push(command.flatMap((w) => (w === '$$@' ? words.slice(1) : [w])));
    }
  }
  return commands;
}

/** One line's words, quotes removed; `$$NAME` outside single quotes expanded from `env`. */
function shellWords(line: string, env: Record<string, string>): string[] {
  const expand = (text: string) =>
    text.replace(/\$\$\{?(\w+)\}?/g, (all, name: string) => env[name] ?? all);
  const words: string[] = [];
  let word: string | null = null;
  for (const [, single, double, bare, space] of line.matchAll(
    /'([^']*)'|"([^"]*)"|([^\s'"]+)|(\s+)/g,
  )) {
    if (space !== undefined) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + (single ?? expand(double ?? bare ?? ''));
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The ACLs that the `kafka-acls.sh --add` commands among `commands` create. */
export function kafkaAclsAdded(commands: readonly string[][]): Acl[] {
  return commands
    .filter(([tool, ...args]) => tool?.endsWith('/kafka-acls.sh') && args.includes('--add'))
    .flatMap(aclsOfArgs);
}

function aclsOfArgs(argv: readonly string[]): Acl[] {
  const principals: string[] = [];
  const hosts: string[] = [];
  const operations: string[] = [];
  let resource: { type: string; name: string } | undefined;
  let pattern = 'literal';
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = () => {
      const v = argv[++i];
      assert.ok(v !== undefined, `kafka-acls.sh ${flag} takes a value`);
      return v;
    };
    const setResource = (type: string, name: string) => {
      assert.equal(resource, undefined, `${argv.join(' ')}: one resource per call`);
      resource = { type, name };
    };
    if (flag === '--add') continue;
    else if (flag === '--bootstrap-server' || flag === '--command-config') value();
    else if (flag === '--allow-principal') principals.push(value());
    else if (flag === '--allow-host') hosts.push(value());
    else if (flag === '--operation') operations.push(value());
    else if (flag === '--resource-pattern-type') pattern = value();
    else if (flag === '--cluster') setResource('cluster', CLUSTER_NAME);
    else if (['--topic', '--group', '--transactional-id'].includes(flag))
      setResource(flag.slice(2), value());
    else assert.fail(`kafka-acls.sh ${flag}: an option these tests do not read`);
  }
  const where = argv.join(' ');
  assert.ok(resource, `${where}: a resource`);
  assert.ok(principals.length > 0, `${where}: an --allow-principal`);
  // kafka-acls.sh would grant All without an --operation: never meant here.
  assert.ok(operations.length > 0, `${where}: an --operation`);
  const { type, name } = resource;
  return principals.flatMap((principal) =>
    (hosts.length > 0 ? hosts : ['*']).flatMap((host) =>
      operations.map(
        (operation): Acl => ({
          principal,
          host,
          resourceType: enumValue(ResourceTypes, type, 'resource type'),
          resourceName: name,
          resourcePatternType: patternOf(pattern),
          operation: enumValue(AclOperations, operation, 'ACL operation'),
          permissionType: AclPermissionTypes.ALLOW,
        }),
      ),
    ),
  );
}
