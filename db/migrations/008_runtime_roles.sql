-- What the runtime roles may do, table by table: rows only, never DDL. The owner (who runs these
-- migrations) keeps DROP, ALTER and TRUNCATE; music_writer (the consumers, the REST API, the
-- CLI's writes) reads and writes the rows its code writes and takes ids; music_reader (the gRPC
-- API) only reads albums. Deletes are granted only where the code deletes.
--
-- The roles are cluster-wide and made before the migrations by whoever provisions the server
-- (infra/postgres-roles.ts locally, db/migrations/000_roles.sh in the postgres image). Where
-- they do not exist (one URL, one role for everything) there is nothing to grant: a notice says
-- so. An operator's own logins get these rights by joining the roles: GRANT music_writer TO app.
-- Grants live in the database, so copies made with CREATE DATABASE … TEMPLATE keep them.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'music_writer') THEN
    GRANT USAGE ON SCHEMA music TO music_writer;
    -- An upsert's ON CONFLICT … WHERE reads the row it would replace: SELECT is needed too.
    GRANT SELECT, INSERT, UPDATE ON music.albums TO music_writer;
    GRANT USAGE ON SEQUENCE music.album_id_seq TO music_writer;
    GRANT SELECT, INSERT, UPDATE, DELETE ON music.idempotency_keys TO music_writer;
    GRANT SELECT, INSERT, DELETE ON music.dead_letter_outbox TO music_writer;
    GRANT USAGE ON SEQUENCE music.dead_letter_outbox_id_seq TO music_writer;
    GRANT SELECT, INSERT ON music.dlq_replays TO music_writer;
  ELSE
    RAISE NOTICE 'no role music_writer: the writes keep the migrating role''s rights';
  END IF;
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'music_reader') THEN
    GRANT USAGE ON SCHEMA music TO music_reader;
    GRANT SELECT ON music.albums TO music_reader;
  ELSE
    RAISE NOTICE 'no role music_reader: the reads keep the migrating role''s rights';
  END IF;
END
$$;
