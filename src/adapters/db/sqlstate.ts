/**
 * Whether PostgreSQL refused a statement for its data: SQLSTATE classes 22 (data exception, such
 * as a NUL in text) and 23 (a constraint, such as a CHECK). The same data fails the same way
 * every time; anything else (a lost connection, a timeout) may pass when tried again.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
