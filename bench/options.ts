import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../infra/provision.ts';
import { ConfigError } from '../src/shared/config.ts';
import type { ModeName } from './modes.ts';

/** The measurements in the order they run: ceilings, consumers alone, then the whole pipeline. */
export const PHASES = [
  'db_ceiling',
  'kafka_ceiling',
  'consumer_platformatic',
  'consumer_confluent',
  'ingest',
  'post_single',
  'e2e',
  'rest_list',
  'grpc_list',
  'grpc_get_album_list_4',
  'grpc_get_album_list_1000',
] as const;
export type Phase = (typeof PHASES)[number];

/** The measurements that write through the REST API, Kafka transactions and the consumers. */
export const WRITE_PHASES: readonly Phase[] = ['ingest', 'post_single', 'e2e'];

export interface BenchOptions {
  readonly mode: ModeName;
  readonly phases: readonly Phase[];
  readonly profile: boolean;
  readonly outDir: string;
}

/** The command line: --quick or --smoke, --only PHASE,…, --profile, --out DIR. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      out: { type: 'string', default: 'docs' },
    },
  });
  const phases =
    values.only === undefined
      ? PHASES
      : values.only.split(',').map((name) => {
          const phase = PHASES.find((p) => p === name.trim());
          if (!phase) throw new ConfigError(`--only takes ${PHASES.join(', ')} (got ${name})`);
          return phase;
        });
  return {
    mode: values.smoke ? 'smoke' : values.quick ? 'quick' : 'full',
    phases,
    profile: values.profile,
    outDir: resolve(PROJECT_ROOT, values.out),
  };
}
