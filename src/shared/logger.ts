import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /**
   * Values replaced by `***` wherever they would appear in a line, such as the DB password; only
   * those of at least MIN_FREE_TEXT_SECRET characters (URL passwords are masked whatever their length).
   */
  readonly secrets?: readonly string[];
  /** Where the lines go; stdout when absent. */
  readonly destination?: DestinationStream;
}

// Fields that carry credentials whatever their value: request headers and anything named so.
const REDACTED_PATHS = [
  'password',
  '*.password',
  'DATABASE_URL',
  '*.DATABASE_URL',
  'DATABASE_MIGRATE_URL',
  '*.DATABASE_MIGRATE_URL',
  'DATABASE_WRITE_URL',
  '*.DATABASE_WRITE_URL',
  'DATABASE_READ_URL',
  '*.DATABASE_READ_URL',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
];

/** The most of one header value a log line repeats: Node lets a client send 16 KB of them. */
export const MAX_LOGGED_HEADER = 256;

/**
 * Header values cut to MAX_LOGGED_HEADER characters, for any line that logs `headers`: nothing
 * logs a request's headers today, and this keeps a line that starts to from growing 16 KB.
 */
function clipHeaders(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return headers;
  const clip = (v: unknown) =>
    typeof v === 'string' && v.length > MAX_LOGGED_HEADER
      ? `${v.slice(0, MAX_LOGGED_HEADER)}… (${v.length} characters)`
      : v;
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(clip) : clip(v)]),
  );
}

// The password of any URL with credentials (postgres://user:password@host), wherever it is.
const URL_PASSWORD = /(\/\/[^\s:/@"]+:)[^\s@"/]+@/g;

/**
 * The shortest secret searched for in free text. A shorter one can be an ordinary word (the local
 * password `music` is also the database, the user and part of every topic name): masking each
 * occurrence would mangle every line and, by where the masks fall, give the secret away. Those
 * are masked where they are credentials: a URL's password and fields named for them.
 */
export const MIN_FREE_TEXT_SECRET = 12;

/**
 * A stream that scrubs each line before it is written. Paths cannot catch a secret inside a
 * message or an error's text (a driver quoting its connection string), so the finished line is
 * searched as well: for URL passwords, and for long secrets as written and as JSON escapes them.
 */
function scrubbing(secrets: readonly string[], target: DestinationStream): DestinationStream {
  const forms = [
    ...new Set(
      secrets
        .filter((s) => s.length >= MIN_FREE_TEXT_SECRET)
        .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
    ),
  ];
  return {
    write(line: string) {
      let clean = line.replace(URL_PASSWORD, '$1***@');
      for (const secret of forms) clean = clean.replaceAll(secret, '***');
      target.write(clean);
    },
  };
}

/**
 * The one logger of every process: JSON lines on stdout, secrets redacted. Lines are written
 * asynchronously: those logged while a write is under way leave together in the next, so that a
 * busy process makes one write per burst rather than one per line; pino flushes what is left
 * when the process exits.
 */
export function createLogger(name: string, level: string, o: LoggerOptions = {}): Logger {
  const target = o.destination ?? pino.destination({ dest: 1, sync: false, minLength: 0 });
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_PATHS, censor: '***' },
      serializers: { headers: clipHeaders },
    },
    scrubbing(o.secrets ?? [], target),
  );
}
