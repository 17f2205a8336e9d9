-- The album catalogue. Every statement is idempotent: the same file initialises PostgreSQL for
-- `npm start`, Docker Compose (docker-entrypoint-initdb.d) and Kubernetes (ConfigMap).
CREATE SCHEMA IF NOT EXISTS music;

CREATE TABLE IF NOT EXISTS music.albums (
  id              integer       PRIMARY KEY CHECK (id > 0),
  title           text          NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  artist          text          NOT NULL CHECK (char_length(artist) BETWEEN 1 AND 200),
  price           numeric(10,2) NOT NULL DEFAULT 0 CHECK (price >= 0),
  -- Kafka timestamp, partition and offset of the last event applied to the row. An upsert only
  -- wins when its event is newer, so replays and late duplicates change nothing.
  event_time      timestamptz   NOT NULL DEFAULT '-infinity',
  event_partition integer       NOT NULL DEFAULT -1,
  event_offset    bigint        NOT NULL DEFAULT -1,
  created_at      timestamptz   NOT NULL DEFAULT now(),
  updated_at      timestamptz   NOT NULL DEFAULT now()
);

-- Ids for albums posted without one. The REST API takes a block of INCREMENT ids per call.
CREATE SEQUENCE IF NOT EXISTS music.album_id_seq AS integer START WITH 101 INCREMENT BY 100;
