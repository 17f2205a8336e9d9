-- Deletes travel through Kafka as tombstones (the album id as key, a null value) and remove the
-- row. This table keeps, per deleted id, the position of the newest delete applied, so that an
-- older update read after it (in a later batch, or in a replay from offset 0) cannot bring the
-- album back: an upsert only applies when its event is newer than both the row and this
-- tombstone. A newer update recreates the row; the tombstone stays, a few bytes per id.
-- Idempotent like every migration: the same file runs for `npm start`, Compose and Kubernetes.
CREATE TABLE IF NOT EXISTS music.album_tombstones (
  id              integer     PRIMARY KEY CHECK (id <> 0),
  -- Kafka timestamp (the broker's), partition and offset of the newest delete of this id.
  event_time      timestamptz NOT NULL,
  event_partition integer     NOT NULL,
  event_offset    bigint      NOT NULL,
  deleted_at      timestamptz NOT NULL DEFAULT now()
);

-- The writer (consumers, `music db delete`) now deletes album rows and keeps tombstones; it never
-- deletes a tombstone. As in 008: nothing to grant where the roles do not exist.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'music_writer') THEN
    GRANT DELETE ON music.albums TO music_writer;
    GRANT SELECT, INSERT, UPDATE ON music.album_tombstones TO music_writer;
  ELSE
    RAISE NOTICE 'no role music_writer: the writes keep the migrating role''s rights';
  END IF;
END
$$;
