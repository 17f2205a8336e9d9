-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) of the REST writes. A key is kept
-- in the database, not in a process, so that a retry reaching another replica, or the same one
-- after a restart, gets the first answer again instead of writing the albums a second time.
CREATE TABLE IF NOT EXISTS music.idempotency_keys (
  key         text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
  method      text        NOT NULL,
  path        text        NOT NULL,
  -- SHA-256 of the request body: the same key with another body is refused (422).
  body_sha256 bytea       NOT NULL,
  -- Who holds the key: the request that claimed it; its answer is only stored by that request.
  claim       uuid        NOT NULL,
  -- Both null while the claiming request is in flight (a retry then gets 409); set once answered.
  status      integer,
  response    json,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (key, method, path)
);
-- The REST API deletes keys older than 24 hours in small batches, oldest first.
CREATE INDEX IF NOT EXISTS idempotency_keys_created_at_idx ON music.idempotency_keys (created_at);
