import type { StatusReport } from './status-read.ts';
import { type Column, renderTable } from './table.ts';

const SERVICE_COLUMNS: readonly Column[] = [
  { header: 'SERVICE' },
  { header: 'STATE' },
  { header: 'METRICS' },
  { header: 'ENDPOINT', shrink: true },
  { header: 'DETAIL', shrink: true },
];

const PARTITION_COLUMNS: readonly Column[] = [
  { header: 'PARTITION', align: 'right' },
  { header: 'COMMITTED', align: 'right' },
  { header: 'END', align: 'right' },
  { header: 'LAG', align: 'right' },
  { header: 'HELD BY', shrink: true },
];

const count = (n: number | null, error?: string): string =>
  n === null ? `unknown (${error ?? 'no answer'})` : n.toLocaleString('en-US');

/** The status as one screen of text at most `width` columns wide. */
export function statusScreen(r: StatusReport, width: number): string {
  const services = renderTable(
    SERVICE_COLUMNS,
    r.services.map((s) => [
      s.name,
      s.up ? 'up' : 'DOWN',
      s.metrics ? 'ok' : '-',
      s.endpoint,
      s.detail,
    ]),
    width,
  );
  const g = r.group;
  const group =
    g.members === null
      ? `Consumer group ${g.id}: unknown (${g.error ?? 'no answer'})`
      : `Consumer group ${g.id}: ${g.state}, ${g.members} member${g.members === 1 ? '' : 's'}` +
        (g.hosts.length > 0 ? ` (${g.hosts.join(', ')})` : '');
  const partitions =
    r.partitions === null
      ? `Partitions of ${r.topic}: unknown`
      : renderTable(
          PARTITION_COLUMNS,
          r.partitions.map((p) => [
            String(p.partition),
            p.committed ?? '-',
            p.end,
            String(p.lag),
            p.heldBy ?? '-',
          ]),
          width,
        );
  const totals = [
    `Lag: ${count(r.lag)} record${r.lag === 1 ? '' : 's'} on ${r.topic}`,
    `Dead letters: ${count(r.dlq.records, r.dlq.error)} on ${r.dlq.topic}`,
    `Albums in the database: ${count(r.database.albums, r.database.error)}`,
  ];
  return [services, '', group, partitions, '', ...totals, `(read at ${r.at})`].join('\n');
}
