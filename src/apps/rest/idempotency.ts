// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for the REST writes: a retry with
// the key of an earlier request gets that request's answer again instead of writing anew.
import { createHash, randomUUID } from 'node:crypto';
import { AppError, ErrorCode } from '../../shared/errors.ts';

/** The request header, as Node names it. */
export const IDEMPOTENCY_KEY = 'idempotency-key';

/** What a key is scoped to: the same key on another method or route is another key. */
export interface KeyScope {
  readonly key: string;
  readonly method: string;
  readonly path: string;
}

/** The answer kept for a key and given again to every retry. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What claiming a key found. */
export type Claim =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      /** SHA-256 of the body that holds the key; null when its claim is too recent to be seen. */
      readonly fingerprint: Uint8Array | null;
      /** Null while the request holding the key is in flight. */
      readonly answer: StoredAnswer | null;
    };

/**
 * Where keys live, shared by every REST process (PostgreSQL: adapters/db/idempotency-keys.ts).
 * Each call is one round trip; `claim` is the id of the request, so that only the request that
 * holds a key stores or frees it.
 */
export interface IdempotencyStore {
  /** Takes the key unless a live entry holds it; an expired or abandoned entry is taken over. */
  claim(scope: KeyScope, fingerprint: Uint8Array, claim: string): Promise<Claim>;
  /** Keeps the answer of the request holding the key. */
  complete(scope: KeyScope, claim: string, answer: StoredAnswer): Promise<void>;
  /** Frees the key, so that a retry runs afresh (the request failed and wrote nothing). */
  release(scope: KeyScope, claim: string): Promise<void>;
}

/** The answer to a keyed write: the request's own, or a replay of the first request's. */
export interface KeyedOutcome {
  readonly answer: StoredAnswer;
  readonly replayed: boolean;
}

// A bare value, or a Structured Fields String (the draft's syntax: `"…"` with \" and \\).
const BARE = /^[\x21\x23-\x7e][\x20-\x7e]*$/;
const QUOTED = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;
const MAX_KEY = 255;

const invalidKey = () =>
  new AppError(
    ErrorCode.InvalidArgument,
    `The Idempotency-Key header must be 1 to ${MAX_KEY} printable ASCII characters, bare or ` +
      'as a quoted string, and sent once',
  );

/**
 * The key a request sent, or undefined without the header. Both `"k"` (the draft's quoted
 * string) and `k` (what most clients send) are the key `k`.
 */
export function idempotencyKeyOf(
  header: string | readonly string[] | undefined,
): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') throw invalidKey();
  const quoted = QUOTED.exec(header);
  const key = quoted ? (quoted[1] as string).replace(/\\(["\\])/g, '$1') : header;
  if (key.length < 1 || key.length > MAX_KEY || (!quoted && !BARE.test(key))) throw invalidKey();
  return key;
}

/**
 * The Idempotency-Key header as sent: its one value, every value when it came more than once
 * (Node would join those into one "a, b", itself a valid key), or undefined.
 */
export function keyHeaderOf(rawHeaders: readonly string[]): string | string[] | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]?.toLowerCase() === IDEMPOTENCY_KEY) values.push(rawHeaders[i + 1] as string);
  return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
}

// Object keys sorted, so that the same albums sent with their fields in another order match.
const sortedKeys = (_key: string, value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : value;

/** SHA-256 of a parsed request body: what "the same request" means for a key. */
export function fingerprintOf(body: unknown): Buffer {
  return createHash('sha256')
    .update(JSON.stringify(body, sortedKeys) ?? '')
    .digest();
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The error of a key whose request is still in flight (409, retried by clients). */
export const keyInUse = (): AppError =>
  new AppError(
    ErrorCode.Conflict,
    'A request with this Idempotency-Key is still being processed; retry later to get its answer',
  );

/** The error of a key sent again with another body (422). */
export const keyReused = (): AppError =>
  new AppError(
    ErrorCode.Unprocessable,
    'This Idempotency-Key was already used with another request body; send a new request ' +
      'with a new key',
  );

/**
 * Runs a keyed write at most once per key: claims the key (one round trip), runs the write,
 * then keeps its answer (one more). A write that throws frees the key for a retry, since a
 * failed write (503) wrote nothing, unless `mayHaveWritten` says it may have: then the key stays
 * claimed until its lease ends, and retries get 409 rather than writing the albums again under
 * new ids. The same key with another body throws `keyReused()`, a key whose request is still in
 * flight `keyInUse()`.
 */
export async function runOnce(
  store: IdempotencyStore,
  scope: KeyScope,
  body: unknown,
  write: () => Promise<StoredAnswer>,
  log: { error(details: object, message: string): void },
  mayHaveWritten: (err: unknown) => boolean = () => false,
): Promise<KeyedOutcome> {
  const claim = randomUUID();
  const fingerprint = fingerprintOf(body);
  const found = await store.claim(scope, fingerprint, claim);
  if (!found.claimed) {
    if (found.fingerprint && !sameBytes(found.fingerprint, fingerprint)) throw keyReused();
    if (!found.answer) throw keyInUse();
    return { answer: found.answer, replayed: true };
  }
  let answer: StoredAnswer;
  try {
    answer = await write();
  } catch (err: unknown) {
    if (mayHaveWritten(err)) {
      log.error({ err, key: scope.key }, 'a keyed write may be stored: its key stays claimed');
      throw err;
    }
    await store.release(scope, claim).catch((releaseErr: unknown) => {
      // The key stays claimed until its lease runs out; retries get 409 until then.
      log.error({ err: releaseErr, key: scope.key }, 'could not free an idempotency key');
    });
    throw err;
  }
  // The albums are on the topic: the client gets its 202 even if the answer cannot be kept.
  await store.complete(scope, claim, answer).catch((err: unknown) => {
    log.error({ err, key: scope.key }, 'could not keep the answer of an idempotency key');
  });
  return { answer, replayed: false };
}
