import type { AcceptedAlbum } from '../../adapters/http/album-api-client.ts';

/** Where a command's result goes: one JSON document for scripts, or text for people. */
export interface Output {
  /** Writes `value` as JSON with --json, otherwise the text `human` makes. */
  result(value: unknown, human: () => string): void;
}

export function createOutput(json: () => boolean, stream: NodeJS.WritableStream): Output {
  return {
    result(value, human) {
      stream.write(json() ? `${JSON.stringify(value)}\n` : `${human()}\n`);
    },
  };
}

const price = (p: number) => p.toFixed(2);

/**
 * Albums as an aligned text table: id and price right-aligned, text left-aligned. An id the
 * server did not say is shown as `?`.
 */
export function albumTable(albums: readonly AcceptedAlbum[]): string {
  const rows = albums.map((a) => [String(a.id ?? '?'), a.title, a.artist, price(a.price)] as const);
  const header = ['ID', 'TITLE', 'ARTIST', 'PRICE'] as const;
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 || i === 3 ? c.padStart(width[i] ?? 0) : c.padEnd(width[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const count = `${albums.length} album${albums.length === 1 ? '' : 's'}`;
  return [line(header), ...rows.map(line), count].join('\n');
}
