// RFC 4180 CSV of what a command prints: small enough to write here rather than depend on a
// library, since the CLI only writes CSV and never reads it.

const CRLF = '\r\n';

/** A field quoted when it holds a comma, a quote or a line break; quotes doubled. */
const field = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** A value as one cell: text as is, null as empty, nested arrays as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

/** An object's fields as dotted paths (`album.title`), so that nested records still get columns. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value))
      flatten(v, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix || 'value', value);
  }
  return out;
}

/**
 * `rows` (an array of records, or one record) as CSV with a header line: the columns are every
 * field any row has, in the order they first appear; lines end with CRLF as RFC 4180 says.
 */
export function toCsv(rows: unknown): string {
  const records = (Array.isArray(rows) ? rows : [rows]).map((r) => flatten(r));
  const header = [...new Set(records.flatMap((r) => [...r.keys()]))];
  const lines = [header, ...records.map((r) => header.map((key) => cell(r.get(key))))];
  return lines.map((l) => l.map(field).join(',')).join(CRLF) + CRLF;
}
