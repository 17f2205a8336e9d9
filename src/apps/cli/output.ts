import type { AcceptedAlbum } from '../../adapters/http/album-api-client.ts';
import { toCsv } from './csv.ts';
import { type Column, renderTable } from './table.ts';

/** How results are printed: `--output`, with `--json` the same as `--output json`. */
export const OUTPUT_FORMATS = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Where a command's result goes: one JSON document or CSV for scripts, or text for people. */
export interface Output {
  /**
   * Writes `value` as JSON, or as CSV (`csvRows` when the rows are a part of `value`), or the
   * text `human` makes for a terminal `width` columns wide.
   */
  result(value: unknown, human: (width: number) => string, csvRows?: unknown): void;
}

export function createOutput(
  format: () => OutputFormat,
  width: () => number,
  stream: NodeJS.WritableStream,
): Output {
  return {
    result(value, human, csvRows) {
      const f = format();
      if (f === 'json') stream.write(`${JSON.stringify(value)}\n`);
      else if (f === 'csv') stream.write(toCsv(csvRows ?? value));
      else stream.write(`${human(width())}\n`);
    },
  };
}

const price = (p: number) => p.toFixed(2);

const ALBUM_COLUMNS: readonly Column[] = [
  { header: 'ID', align: 'right' },
  { header: 'TITLE', shrink: true },
  { header: 'ARTIST', shrink: true },
  { header: 'PRICE', align: 'right' },
];

/**
 * Albums as an aligned text table at most `width` columns wide: id and price right-aligned and
 * whole, a long title or artist shortened with …. An id the server did not say is shown as `?`.
 */
export function albumTable(albums: readonly AcceptedAlbum[], width: number): string {
  const rows = albums.map((a) => [String(a.id ?? '?'), a.title, a.artist, price(a.price)]);
  const count = `${albums.length} album${albums.length === 1 ? '' : 's'}`;
  return `${renderTable(ALBUM_COLUMNS, rows, width)}\n${count}`;
}
