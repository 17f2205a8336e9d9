import { type BenchResult, type FigureName, TARGETS, type TargetName } from './result.ts';

interface Row {
  readonly label: string;
  readonly figure: FigureName;
  readonly unit: string;
  /** A ceiling of the parts the pipeline stands on, drawn in its own colour. */
  readonly ceiling?: boolean;
  /** A goal that depends on the run (drawn dashed), such as half the database's ceiling. */
  readonly goal?: (result: BenchResult) => number | undefined;
}

const THROUGHPUT: readonly Row[] = [
  {
    label: 'Ingest: batch POST → stored',
    figure: 'ingest_batch_albums_per_s',
    unit: 'albums/s',
    goal: (r) =>
      r.db_upsert_ceiling_rows_per_s === undefined
        ? undefined
        : r.db_upsert_ceiling_rows_per_s * TARGETS.ratio_ingest_to_db_ceiling.atLeast,
  },
  {
    label: 'Consumer alone: platformatic',
    figure: 'consumer_platformatic_albums_per_s',
    unit: 'albums/s',
  },
  {
    label: 'Consumer alone: confluent',
    figure: 'consumer_confluent_albums_per_s',
    unit: 'albums/s',
  },
  {
    label: 'PostgreSQL upsert ceiling',
    figure: 'db_upsert_ceiling_rows_per_s',
    unit: 'rows/s',
    ceiling: true,
  },
  { label: 'Single POST answered 202', figure: 'post_single_rps', unit: 'req/s' },
  { label: 'REST list, 50 albums', figure: 'rest_list_rps', unit: 'req/s' },
  { label: 'gRPC ListAlbums, 50 albums', figure: 'grpc_list_rps', unit: 'req/s' },
  {
    label: 'Kafka produce ceiling',
    figure: 'kafka_produce_ceiling_msgs_per_s',
    unit: 'msgs/s',
    ceiling: true,
  },
];

const LATENCY: readonly Row[] = [
  { label: 'Single POST p50', figure: 'post_single_p50_ms', unit: 'ms' },
  { label: 'Single POST p99', figure: 'post_single_p99_ms', unit: 'ms' },
  { label: 'End to end p50 at 1,000/s', figure: 'e2e_p50_ms', unit: 'ms' },
  { label: 'End to end p99 at 1,000/s', figure: 'e2e_p99_ms', unit: 'ms' },
];

const WIDTH = 860;
const LABEL_X = 16;
const BAR_X = 250;
const BAR_W = 440;
const ROW_H = 26;
const BAR_H = 16;
const COLOURS = { bar: '#3b6ea8', ceiling: '#9a9a9a', target: '#c0392b', grid: '#e3e3e3' };

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** 12,345 or 12.3 or 0.85: whole numbers get separators, small ones keep two figures. */
export function formatNumber(n: number): string {
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return String(Math.round(n * 100) / 100);
}

function shortNumber(n: number): string {
  if (n >= 1e6) return `${n / 1e6}M`;
  if (n >= 1e3) return `${n / 1e3}k`;
  return String(n);
}

const targetOf = (figure: FigureName): number | undefined => {
  const t = (TARGETS as Partial<Record<FigureName, { atLeast?: number; atMost?: number }>>)[figure];
  return t?.atLeast ?? t?.atMost;
};

interface Scale {
  readonly x: (value: number) => number;
  readonly ticks: readonly number[];
}

/** Powers of ten around the values: rates span three orders of magnitude. */
export function logScale(values: readonly number[]): Scale {
  const positive = values.filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1000)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, lo * 10)));
  const span = Math.log10(hi) - Math.log10(lo);
  const ticks: number[] = [];
  for (let t = lo; t <= hi; t *= 10) ticks.push(t);
  return {
    x: (v) => BAR_X + (BAR_W * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / span,
    ticks,
  };
}

/** From 0 to a round number above every value, with 4 to 10 ticks of 1, 2 or 5 × 10^k. */
export function linearScale(values: readonly number[]): Scale {
  const max = Math.max(...values, 1) * 1.05;
  const magnitude = 10 ** Math.floor(Math.log10(max / 4));
  const step = [1, 2, 5, 10].map((f) => f * magnitude).find((s) => max / s <= 10) ?? magnitude * 10;
  const hi = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= hi + step / 1e6; i++) ticks.push(Math.round(i * step * 1e6) / 1e6);
  return { x: (v) => BAR_X + (BAR_W * Math.min(v, hi)) / hi, ticks };
}

function panel(
  title: string,
  rows: readonly Row[],
  result: BenchResult,
  top: number,
  scaleOf: (values: number[]) => Scale,
): { svg: string; height: number } {
  const values = rows.flatMap((r) => {
    const v = result[r.figure];
    const t = targetOf(r.figure);
    return [...(v === undefined ? [] : [v]), ...(t === undefined ? [] : [t])];
  });
  const scale = scaleOf(values);
  const axisTop = top + 28;
  const axisBottom = axisTop + rows.length * ROW_H + 4;
  const parts: string[] = [
    `<text x="${LABEL_X}" y="${top + 16}" class="h">${escapeXml(title)}</text>`,
  ];
  for (const t of scale.ticks) {
    const x = scale.x(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${axisTop}" x2="${x}" y2="${axisBottom}" stroke="${COLOURS.grid}"/>`,
      `<text x="${x}" y="${axisBottom + 14}" class="t" text-anchor="middle">${shortNumber(t)}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = axisTop + i * ROW_H + 4;
    const value = result[row.figure];
    parts.push(
      `<text x="${LABEL_X}" y="${y + BAR_H - 3}" class="l">${escapeXml(row.label)}</text>`,
    );
    if (value === undefined) {
      parts.push(`<text x="${BAR_X + 4}" y="${y + BAR_H - 3}" class="t">not measured</text>`);
      return;
    }
    const end = scale.x(value);
    const fill = row.ceiling ? COLOURS.ceiling : COLOURS.bar;
    parts.push(
      `<rect x="${BAR_X}" y="${y}" width="${(end - BAR_X).toFixed(1)}" height="${BAR_H}" fill="${fill}"/>`,
      `<text x="${BAR_X + BAR_W + 8}" y="${y + BAR_H - 3}" class="v">${formatNumber(value)} ${escapeXml(row.unit)}</text>`,
    );
    const target = targetOf(row.figure);
    if (target !== undefined) {
      const x = scale.x(target).toFixed(1);
      parts.push(
        `<line x1="${x}" y1="${y - 3}" x2="${x}" y2="${y + BAR_H + 3}" stroke="${COLOURS.target}" stroke-width="2"/>`,
      );
    }
    const goal = row.goal?.(result);
    if (goal !== undefined) {
      const x = scale.x(goal).toFixed(1);
      parts.push(
        `<line x1="${x}" y1="${y - 3}" x2="${x}" y2="${y + BAR_H + 3}" stroke="${COLOURS.target}" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
  });
  return { svg: parts.join('\n'), height: axisBottom + 24 - top };
}

/** The run's throughput (log scale) and latencies (linear) as a standalone SVG document. */
export function renderChart(result: BenchResult): string {
  const head = 44;
  const throughput = panel(
    'Throughput per second (log scale; grey: ceilings of PostgreSQL and Kafka)',
    THROUGHPUT,
    result,
    head,
    logScale,
  );
  const latency = panel(
    'Latency in milliseconds',
    LATENCY,
    result,
    head + throughput.height + 8,
    linearScale,
  );
  const footTop = head + throughput.height + 8 + latency.height + 8;
  const m = result.machine;
  const missed = Object.entries(result.targets_met)
    .filter(([, met]) => !met)
    .map(([name]) => name as TargetName);
  const foot = [
    `${m.cores} cores, ${m.memory_gb} GB, ${m.cpu_model}; Node ${m.node}; ${result.mode} mode, ${result.started_at}`,
    `Red marks: targets (dashed: half the PostgreSQL ceiling, the goal for ingest). ${missed.length === 0 ? 'Every measured target met.' : `Missed: ${missed.join(', ')}.`}`,
  ];
  const height = footTop + foot.length * 16 + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" role="img" aria-labelledby="title">`,
    `<title id="title">music-service benchmark: throughput and latency, ${escapeXml(result.mode)} mode, ${escapeXml(result.started_at)}</title>`,
    '<style>.h{font-size:14px;font-weight:bold}.l{font-size:12px}.v{font-size:12px}.t{font-size:10px;fill:#666}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LABEL_X}" y="26" style="font-size:17px;font-weight:bold">music-service benchmark</text>`,
    throughput.svg,
    latency.svg,
    ...foot.map(
      (line, i) =>
        `<text x="${LABEL_X}" y="${footTop + 12 + i * 16}" class="t">${escapeXml(line)}</text>`,
    ),
    '</svg>',
    '',
  ].join('\n');
}
