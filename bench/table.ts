import { formatNumber } from './chart.ts';
import { type BenchResult, type FigureName, TARGETS } from './result.ts';

interface Line {
  readonly what: string;
  readonly figure: FigureName;
  readonly unit: string;
  /** The phase whose load average is shown next to the figure. */
  readonly phase: string;
  /** What the figure is compared with, and the ratio figure. */
  readonly against?: readonly [string, FigureName];
}

const LINES: readonly Line[] = [
  {
    what: 'Ingest, batch POSTs to rows visible',
    figure: 'ingest_batch_albums_per_s',
    unit: 'albums/s',
    phase: 'ingest',
    against: ['PostgreSQL ceiling', 'ratio_ingest_to_db_ceiling'],
  },
  {
    what: 'Consumer alone, platformatic',
    figure: 'consumer_platformatic_albums_per_s',
    unit: 'albums/s',
    phase: 'consumer_platformatic',
    against: ['PostgreSQL ceiling', 'ratio_consumer_platformatic_to_db_ceiling'],
  },
  {
    what: 'Consumer alone, confluent',
    figure: 'consumer_confluent_albums_per_s',
    unit: 'albums/s',
    phase: 'consumer_confluent',
    against: ['PostgreSQL ceiling', 'ratio_consumer_confluent_to_db_ceiling'],
  },
  {
    what: 'Single POST answered 202',
    figure: 'post_single_rps',
    unit: 'req/s',
    phase: 'post_single',
    against: ['Kafka ceiling', 'ratio_post_single_to_kafka_ceiling'],
  },
  { what: 'Single POST p99', figure: 'post_single_p99_ms', unit: 'ms', phase: 'post_single' },
  { what: 'End to end p50 at 1,000/s', figure: 'e2e_p50_ms', unit: 'ms', phase: 'e2e' },
  { what: 'End to end p99 at 1,000/s', figure: 'e2e_p99_ms', unit: 'ms', phase: 'e2e' },
  { what: 'REST list, 50 albums', figure: 'rest_list_rps', unit: 'req/s', phase: 'rest_list' },
  { what: 'gRPC ListAlbums, 50', figure: 'grpc_list_rps', unit: 'req/s', phase: 'grpc_list' },
  {
    what: 'gRPC GetAlbumList, 4 albums',
    figure: 'grpc_get_album_list_4_rps',
    unit: 'calls/s',
    phase: 'grpc_get_album_list_4',
  },
  {
    what: 'gRPC GetAlbumList, 1,000 albums',
    figure: 'grpc_get_album_list_1000_rps',
    unit: 'calls/s',
    phase: 'grpc_get_album_list_1000',
  },
  {
    what: 'PostgreSQL upsert ceiling (200,000 rows)',
    figure: 'db_upsert_ceiling_rows_per_s',
    unit: 'rows/s',
    phase: 'db_ceiling',
  },
  {
    what: 'Kafka produce ceiling (acks=all)',
    figure: 'kafka_produce_ceiling_msgs_per_s',
    unit: 'msgs/s',
    phase: 'kafka_ceiling',
  },
];

function targetText(figure: FigureName): string {
  const t = (TARGETS as Partial<Record<FigureName, { atLeast?: number; atMost?: number }>>)[figure];
  if (t?.atLeast !== undefined) return `≥ ${formatNumber(t.atLeast)}`;
  if (t?.atMost !== undefined) return `≤ ${formatNumber(t.atMost)}`;
  return '';
}

type Align = 'left' | 'right';

/**
 * A Markdown table with its columns padded to one width, as the project's formatter (Biome)
 * writes tables, so that a generated document passes `biome check` as it is.
 */
export function markdownTable(
  header: readonly string[],
  align: readonly Align[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const cell = (text: string, i: number) =>
    align[i] === 'right' ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
  const line = (cells: readonly string[]) =>
    `| ${header.map((_, i) => cell(cells[i] ?? '', i)).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === 'right' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The figures of a run as a Markdown table, with targets, ratios and the load at the time. */
export function renderTable(result: BenchResult): string {
  const rows = LINES.map((line) => {
    const value = result[line.figure];
    const ratio = line.against ? result[line.against[1]] : undefined;
    const load = result.load_1m[line.phase];
    return [
      line.what,
      value === undefined ? 'not measured' : `${formatNumber(value)} ${line.unit}`,
      targetText(line.figure),
      ratio === undefined || !line.against ? '' : `${ratio} of ${line.against[0]}`,
      load ? `${load[0]} → ${load[1]}` : '',
    ];
  });
  const m = result.machine;
  return [
    markdownTable(
      ['measurement', 'figure', 'target', 'ratio to ceiling', 'load (1 min, before → after)'],
      ['left', 'right', 'right', 'right', 'left'],
      rows,
    ),
    '',
    `Measured ${result.started_at} in ${result.mode} mode (${result.seconds} s) on ${m.cores} cores, ${m.memory_gb} GB, ${m.cpu_model}, Node ${m.node}.`,
  ].join('\n');
}

const START = '<!-- bench:figures:start -->';
const END = '<!-- bench:figures:end -->';

/** The document with the text between its figure markers replaced; unchanged without markers. */
export function replaceFigures(doc: string, table: string): string {
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) return doc;
  return `${doc.slice(0, from + START.length)}\n${table}\n${doc.slice(to)}`;
}
