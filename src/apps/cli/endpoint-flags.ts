import { InvalidArgumentError, Option } from 'commander';

/** The endpoint flags as Commander parsed them: each the environment it stands for. */
export interface EndpointFlags {
  readonly restUrl?: NodeJS.ProcessEnv;
  readonly grpcUrl?: NodeJS.ProcessEnv;
  readonly databaseUrl?: NodeJS.ProcessEnv;
  readonly brokers?: NodeJS.ProcessEnv;
}

/**
 * `http://host:port` as the HOST and PORT variables of a service. Only plain HTTP with no path:
 * the services listen that way and the CLI builds their address from host and port, so a URL
 * that says more would be silently cut short.
 */
const hostAndPort = (prefix: 'REST' | 'GRPC') => (value: string) => {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' || url.pathname !== '/' || url.search || url.username)
    throw new InvalidArgumentError('must be http://host:port');
  return {
    [`${prefix}_HOST`]: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    [`${prefix}_PORT`]: url.port || '80',
  };
};

/**
 * The database for everything this run does: the reads and the writes alike, so that a
 * DATABASE_READ_URL or DATABASE_WRITE_URL in the environment cannot send half of it elsewhere.
 */
const database = (value: string) => {
  if (!/^postgres(ql)?:\/\//.test(value))
    throw new InvalidArgumentError('must be a postgres:// or postgresql:// URL');
  return Object.fromEntries(
    ['DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_WRITE_URL', 'DATABASE_MIGRATE_URL'].map(
      (key) => [key, value],
    ),
  );
};

const brokers = (value: string) => {
  if (!/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/.test(value))
    throw new InvalidArgumentError('must be host:port, or several separated by commas');
  return { KAFKA_BROKERS: value };
};

/** The flags beside the variables: each overrides its variables for this run. */
export const endpointOptions = (): Option[] => [
  new Option('--rest-url <url>', 'the REST API, http://host:port (REST_HOST, REST_PORT)').argParser(
    hostAndPort('REST'),
  ),
  new Option('--grpc-url <url>', 'the gRPC API, http://host:port (GRPC_HOST, GRPC_PORT)').argParser(
    hostAndPort('GRPC'),
  ),
  new Option(
    '--database-url <url>',
    'PostgreSQL for reads and writes (DATABASE_URL and its READ/WRITE variants)',
  ).argParser(database),
  new Option('--brokers <list>', 'Kafka brokers, host:port,... (KAFKA_BROKERS)').argParser(brokers),
];

/** The environment with the flags given laid over it: what the one config loader reads. */
export function withFlags(env: NodeJS.ProcessEnv, flags: EndpointFlags): NodeJS.ProcessEnv {
  return { ...env, ...flags.restUrl, ...flags.grpcUrl, ...flags.databaseUrl, ...flags.brokers };
}
