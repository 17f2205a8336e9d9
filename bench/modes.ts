/** How long and how hard each measurement runs. */
export interface ModeSettings {
  /** Seconds of each closed-loop HTTP or gRPC load, after `warmupSeconds` not counted. */
  readonly loadSeconds: number;
  readonly warmupSeconds: number;
  readonly ingestSeconds: number;
  /** Albums per batch POST (the API takes up to 1,000). */
  readonly batchSize: number;
  readonly ingestConnections: number;
  readonly postConnections: number;
  readonly readConnections: number;
  readonly e2eSeconds: number;
  readonly e2ePerSecond: number;
  /** Albums pre-produced for each consumer to drain alone. */
  readonly backlog: number;
  readonly dbCeilingRows: number;
  readonly dbCeilingAttempts: number;
  readonly kafkaCeilingRecords: number;
}

const common = {
  batchSize: 1000,
  ingestConnections: 8,
  // Single POSTs as the original system was measured beside ours: 64 in flight (a transaction
  // round carries about half of them; docs/benchmarks.md).
  postConnections: 64,
  readConnections: 32,
  e2ePerSecond: 1000,
  dbCeilingRows: 200_000,
} as const;

export const MODES = {
  /** `npm run bench`: long enough for steady figures on a quiet machine. */
  full: {
    ...common,
    loadSeconds: 30,
    warmupSeconds: 5,
    ingestSeconds: 30,
    e2eSeconds: 30,
    backlog: 1_000_000,
    dbCeilingAttempts: 3,
    kafkaCeilingRecords: 5_000_000,
  },
  /** `npm run bench -- --quick`: every figure within 3 minutes, start-up included. */
  quick: {
    ...common,
    loadSeconds: 10,
    warmupSeconds: 2,
    ingestSeconds: 12,
    e2eSeconds: 15,
    backlog: 300_000,
    dbCeilingAttempts: 2,
    kafkaCeilingRecords: 1_000_000,
  },
  /** `--smoke`: every figure once, tiny, to check that the bench works (its test runs this). */
  smoke: {
    ...common,
    loadSeconds: 2,
    warmupSeconds: 0,
    ingestSeconds: 2,
    e2eSeconds: 2,
    backlog: 5000,
    dbCeilingRows: 20_000,
    dbCeilingAttempts: 1,
    kafkaCeilingRecords: 50_000,
  },
} as const satisfies Record<string, ModeSettings>;

export type ModeName = keyof typeof MODES;
