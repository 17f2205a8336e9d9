import type { Sql } from './client.ts';

/** A key as the REST API scopes it: the same key on another method or route is another key. */
interface Scope {
  readonly key: string;
  readonly method: string;
  readonly path: string;
}

/** An answer kept for a key: what a retry gets again. */
interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

type Claim =
  | { readonly claimed: true }
  | {
      readonly claimed: false;
      readonly fingerprint: Uint8Array | null;
      readonly answer: Answer | null;
    };

export interface IdempotencyKeyOptions {
  /** How long a key is remembered (the draft suggests 24 hours); older ones count as new. */
  readonly ttlMs?: number;
  /**
   * How long a claimed key with no answer yet belongs to its request. Longer than any write may
   * take (ids plus the producer's deadline), so only a request whose process died loses it.
   */
  readonly leaseMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The Idempotency-Key store of the REST writes in `music.idempotency_keys`, shared by every REST
 * process. Each method is one statement; a key is claimed before the write and answered after.
 */
export class IdempotencyKeys {
  readonly #sql: Sql;
  readonly #ttlMs: number;
  readonly #leaseMs: number;

  constructor(sql: Sql, { ttlMs = DAY_MS, leaseMs = 5 * 60_000 }: IdempotencyKeyOptions = {}) {
    this.#sql = sql;
    this.#ttlMs = ttlMs;
    this.#leaseMs = leaseMs;
  }

  /**
   * Inserts the key as in flight, or takes over an entry that expired or whose request died;
   * otherwise reads the entry. A claim committed by another request after this statement began
   * is locked but not visible to it: that reads as `fingerprint: null, answer: null`, in flight.
   */
  async claim(
    { key, method, path }: Scope,
    fingerprint: Uint8Array,
    claim: string,
  ): Promise<Claim> {
    const rows = await this.#sql<
      { claimed: boolean; fingerprint: Buffer | null; status: number | null; response: unknown }[]
    >`
      with taken as (
        insert into music.idempotency_keys as k (key, method, path, body_sha256, claim)
        values (${key}, ${method}, ${path}, ${fingerprint}, ${claim})
        on conflict (key, method, path) do update
          set body_sha256 = excluded.body_sha256, claim = excluded.claim,
              status = null, response = null, created_at = now()
          where k.created_at < now() - ${this.#ttlMs}::float8 * interval '1 millisecond'
             or (k.status is null
                 and k.created_at < now() - ${this.#leaseMs}::float8 * interval '1 millisecond')
        returning 1
      )
      select true as claimed, null::bytea as fingerprint, null::int4 as status,
             null::json as response
        from taken
      union all
      select false, body_sha256, status, response
        from music.idempotency_keys
       where key = ${key} and method = ${method} and path = ${path}
         and not exists (select 1 from taken)`;
    const [row] = rows;
    if (row?.claimed) return { claimed: true };
    if (!row || row.status === null) {
      return { claimed: false, fingerprint: row?.fingerprint ?? null, answer: null };
    }
    const { headers, body } = row.response as Pick<Answer, 'headers' | 'body'>;
    return {
      claimed: false,
      fingerprint: row.fingerprint,
      answer: { status: row.status, headers, body },
    };
  }

  /** Keeps the answer, if `claim` still holds the key. */
  async complete({ key, method, path }: Scope, claim: string, answer: Answer): Promise<void> {
    const response = JSON.stringify({ headers: answer.headers, body: answer.body });
    await this.#sql`
      update music.idempotency_keys set status = ${answer.status}, response = ${response}::json
       where key = ${key} and method = ${method} and path = ${path} and claim = ${claim}`;
  }

  /** Frees the key, if `claim` still holds it. */
  async release({ key, method, path }: Scope, claim: string): Promise<void> {
    await this.#sql`
      delete from music.idempotency_keys
       where key = ${key} and method = ${method} and path = ${path} and claim = ${claim}`;
  }

  /**
   * Deletes up to `limit` expired keys, oldest first, and says how many; small batches keep
   * each run short. Expired keys already count as new, so this only bounds the table.
   */
  async purge(limit = 10_000): Promise<number> {
    const deleted = await this.#sql`
      delete from music.idempotency_keys
       where (key, method, path) in (
         select key, method, path from music.idempotency_keys
          where created_at < now() - ${this.#ttlMs}::float8 * interval '1 millisecond'
          order by created_at limit ${limit})`;
    return deleted.count;
  }
}
