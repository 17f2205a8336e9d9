-- Dead letters that `music dlq replay` re-published, by where they lie on the dead-letter topic.
-- A row is inserted in the transaction that publishes the record and commits only once the broker
-- acknowledged it, so each dead letter is replayed once, however often or concurrently the
-- command runs (a second replayer waits on the first one's rows, then skips them).
CREATE SCHEMA IF NOT EXISTS music;

CREATE TABLE IF NOT EXISTS music.dlq_replays (
  dlq_topic     text        NOT NULL,
  dlq_partition integer     NOT NULL CHECK (dlq_partition >= 0),
  dlq_offset    bigint      NOT NULL CHECK (dlq_offset >= 0),
  -- The topic the record went back to, and when.
  replayed_to   text        NOT NULL,
  replayed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dlq_topic, dlq_partition, dlq_offset)
);
