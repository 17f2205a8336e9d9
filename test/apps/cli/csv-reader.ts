// A test helper without imports of the stack, so that unit tests can use it.
/** RFC 4180 CSV as rows of fields: the reader a script would use, to check what we write. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  const fields = /("((?:[^"]|"")*)"|[^,\r\n]*)(,|\r\n|$)/gy;
  for (let m = fields.exec(text); m !== null && m[0] !== ''; m = fields.exec(text)) {
    row.push(m[2] === undefined ? (m[1] ?? '') : m[2].replaceAll('""', '"'));
    if (m[3] !== ',') {
      rows.push(row);
      row = [];
    }
  }
  return rows;
}
