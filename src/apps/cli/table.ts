import stringWidth from 'string-width';

/**
 * The width tables are fitted to: the terminal's when stdout is one, else `COLUMNS` when it is a
 * positive integer (as shells export it, and as a script may set it), else 80. Piped output gets
 * 80 rather than unlimited width so that text meant for people stays readable in a pager or a
 * log; scripts that want every character use --output json or csv, which are never shortened.
 */
export function tableWidth(
  stream: { readonly isTTY?: boolean; readonly columns?: number },
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (stream.isTTY === true && stream.columns !== undefined && stream.columns > 0)
    return stream.columns;
  const columns = Number(env.COLUMNS);
  return Number.isSafeInteger(columns) && columns > 0 ? columns : DEFAULT_WIDTH;
}

export const DEFAULT_WIDTH = 80;

/** A column: its header, whether it is right-aligned, and whether it may be shortened. */
export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** Shortened with … when the table is too wide; ids and prices are never cut. */
  readonly shrink?: boolean;
}

const GAP = '  ';
const ELLIPSIS = '…';
const segmenter = new Intl.Segmenter();

/**
 * Control characters would move the cursor or end the row; they are shown as � so that a value
 * can neither break the table nor send escape sequences to the terminal.
 */
const printable = (text: string) => text.replace(/\p{Cc}/gu, '\uFFFD');

/** `text` cut to at most `width` columns, ending with … when cut; never splits a grapheme. */
export function shorten(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return width >= 1 ? `${out}${ELLIPSIS}` : '';
}

const pad = (text: string, width: number, align: 'left' | 'right') => {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return align === 'right' ? fill + text : text + fill;
};

/**
 * Rows as aligned text no wider than `maxWidth` display columns (wide characters count two).
 * When the natural widths do not fit, the shrinkable columns give up space, the widest first,
 * down to their header's width; a table that still does not fit is cut at the line's end.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  maxWidth: number,
): string {
  const cells = rows.map((r) => columns.map((_, i) => printable(r[i] ?? '')));
  const widths = columns.map((c, i) =>
    Math.max(stringWidth(c.header), ...cells.map((r) => stringWidth(r[i] ?? ''))),
  );
  let excess = widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1) - maxWidth;
  while (excess > 0) {
    // The widest shrinkable column still above its header's width gives up one column.
    let widest = -1;
    columns.forEach((c, i) => {
      const w = widths[i] ?? 0;
      if (
        c.shrink === true &&
        w > stringWidth(c.header) &&
        (widest < 0 || w > (widths[widest] ?? 0))
      )
        widest = i;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess--;
  }
  const line = (values: readonly string[]) =>
    shorten(
      columns
        .map((c, i) =>
          pad(shorten(values[i] ?? '', widths[i] ?? 0), widths[i] ?? 0, c.align ?? 'left'),
        )
        .join(GAP)
        .trimEnd(),
      maxWidth,
    );
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}
